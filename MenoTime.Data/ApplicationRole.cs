using Npgsql;

namespace MenoTime.Data;

/// <summary>
/// The database role the API and the worker log in as: created by the migrations with data privileges
/// only (no DDL, no change to audit rows). Run as the owner, this gives it its login.
/// </summary>
public static class ApplicationRole
{
    public const string Name = "menotime_app";

    public static async Task SetPasswordAsync(NpgsqlDataSource ownerDataSource, string password, CancellationToken cancellationToken, string role = Name)
    {
        await using var connection = await ownerDataSource.OpenConnectionAsync(cancellationToken);
        // DDL takes no parameters: PostgreSQL quotes the role, the password and the database itself.
        await using var quote = new NpgsqlCommand("SELECT quote_ident($1), quote_literal($2), quote_ident(current_database())", connection);
        quote.Parameters.Add(new() { Value = role });
        quote.Parameters.Add(new() { Value = password });
        string quotedRole, literal, database;
        await using (var reader = await quote.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (quotedRole, literal, database) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
        }

        await using var alter = new NpgsqlCommand($"ALTER ROLE {quotedRole} WITH LOGIN PASSWORD {literal}; GRANT CONNECT ON DATABASE {database} TO {quotedRole}", connection);
        await alter.ExecuteNonQueryAsync(cancellationToken);
    }
}
