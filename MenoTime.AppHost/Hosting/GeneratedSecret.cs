using System.Security.Cryptography;

namespace MenoTime.AppHost.Hosting;

/// <summary>
/// A random key made once per state directory and kept there (mode 0600), e.g. the key that signs opt-out
/// links. Locally this stands in for what Secrets Manager injects into the ECS task definitions.
/// </summary>
public static class GeneratedSecret
{
    private static readonly Lock CreateLock = new();

    /// <summary>Sets <paramref name="variable"/> to the secret <paramref name="name"/> (32 random bytes, base64).</summary>
    public static IResourceBuilder<T> WithGeneratedSecret<T>(this IResourceBuilder<T> builder, string variable, string name)
        where T : ExecutableResource =>
        builder.WithEnvironment(context => context.Variables[variable] = ReadOrCreate(context.App.Options.StateDirectory, name));

    public static string ReadOrCreate(string stateDirectory, string name)
    {
        var directory = Path.Combine(stateDirectory, "secrets");
        var path = Path.Combine(directory, name);
        lock (CreateLock)
        {
            if (!File.Exists(path))
            {
                Directory.CreateDirectory(directory);
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                var temporary = $"{path}.tmp";
                File.WriteAllText(temporary, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                File.Move(temporary, path, overwrite: false);
            }

            return File.ReadAllText(path).Trim();
        }
    }
}
