namespace MenoTime.AppHost.Hosting;

/// <summary>
/// The terminal view of a run: every resource's output prefixed with its name (coloured when the output
/// is a terminal), and the host's own messages under "apphost".
/// </summary>
public sealed class HostConsole(bool echoResourceOutput)
{
    private const string HostName = "apphost";
    private static readonly string[] Colours = ["\e[36m", "\e[32m", "\e[33m", "\e[35m", "\e[34m", "\e[96m", "\e[92m", "\e[93m"];
    private readonly bool _useColour = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
    private readonly Dictionary<string, string> _colours = [];
    private readonly Lock _lock = new();

    public void Attach(ResourceLog log)
    {
        if (echoResourceOutput)
        {
            log.LineWritten += line => Write(line.Source, line.Text);
        }
    }

    public void Info(string message) => Write(HostName, message);

    public void Error(string message)
    {
        foreach (var line in message.Split('\n'))
        {
            Write(HostName, _useColour ? $"\e[31m{line}\e[0m" : line, Console.Error);
        }
    }

    private void Write(string source, string text, TextWriter? writer = null)
    {
        lock (_lock)
        {
            var prefix = $"{source,-12}|";
            if (_useColour)
            {
                if (!_colours.TryGetValue(source, out var colour))
                {
                    colour = source == HostName ? "\e[1m" : Colours[_colours.Count % Colours.Length];
                    _colours[source] = colour;
                }

                prefix = $"{colour}{prefix}\e[0m";
            }

            (writer ?? Console.Out).WriteLine($"{prefix} {text}");
        }
    }
}
