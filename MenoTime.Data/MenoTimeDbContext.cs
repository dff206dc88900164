using System.Text;
using MenoTime.Data.Model;
using Microsoft.EntityFrameworkCore;

namespace MenoTime.Data;

/// <summary>
/// The EF Core view of the schema the SQL migrations create (the migrations are the source of truth;
/// the integration tests exercise every mapping against them).
/// </summary>
public sealed class MenoTimeDbContext(DbContextOptions<MenoTimeDbContext> options) : DbContext(options)
{
    public DbSet<Patient> Patients => Set<Patient>();

    public DbSet<Provider> Providers => Set<Provider>();

    public DbSet<WorkingHours> WorkingHours => Set<WorkingHours>();

    public DbSet<TimeOff> TimeOff => Set<TimeOff>();

    public DbSet<Appointment> Appointments => Set<Appointment>();

    public DbSet<CareAssignment> CareAssignments => Set<CareAssignment>();

    public DbSet<SupporterGrant> SupporterGrants => Set<SupporterGrant>();

    public DbSet<QuestionnaireResponse> QuestionnaireResponses => Set<QuestionnaireResponse>();

    public DbSet<SymptomEntry> SymptomEntries => Set<SymptomEntry>();

    public DbSet<Medication> Medications => Set<Medication>();

    public DbSet<MedicationDose> MedicationDoses => Set<MedicationDose>();

    public DbSet<ClinicalNote> ClinicalNotes => Set<ClinicalNote>();

    public DbSet<ClinicalNoteVersion> ClinicalNoteVersions => Set<ClinicalNoteVersion>();

    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();

    public DbSet<BreakGlassGrant> BreakGlassGrants => Set<BreakGlassGrant>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<WorkingHours>(e =>
        {
            e.ToTable("provider_working_hours");
            e.HasKey(w => new { w.ProviderId, w.DayOfWeek, w.StartTime });
        });
        modelBuilder.Entity<TimeOff>().ToTable("provider_time_off");
        modelBuilder.Entity<Provider>(e =>
        {
            e.HasMany(p => p.WorkingHours).WithOne().HasForeignKey(w => w.ProviderId);
            e.HasMany(p => p.TimeOff).WithOne().HasForeignKey(x => x.ProviderId);
        });
        // Foreign keys as the migrations declare them: EF orders inserts by them (a note before its versions).
        modelBuilder.Entity<Appointment>().HasOne<Patient>().WithMany().HasForeignKey(a => a.PatientId);
        modelBuilder.Entity<Appointment>().HasOne<Provider>().WithMany().HasForeignKey(a => a.ProviderId);
        modelBuilder.Entity<CareAssignment>().HasOne<Patient>().WithMany().HasForeignKey(a => a.PatientId);
        modelBuilder.Entity<CareAssignment>().HasOne<Provider>().WithMany().HasForeignKey(a => a.ProviderId);
        modelBuilder.Entity<SupporterGrant>().HasOne<Patient>().WithMany().HasForeignKey(g => g.PatientId);
        modelBuilder.Entity<QuestionnaireResponse>().HasOne<Patient>().WithMany().HasForeignKey(r => r.PatientId);
        modelBuilder.Entity<SymptomEntry>().HasOne<Patient>().WithMany().HasForeignKey(e => e.PatientId);
        modelBuilder.Entity<Medication>().HasOne<Patient>().WithMany().HasForeignKey(m => m.PatientId);
        modelBuilder.Entity<MedicationDose>().HasOne<Medication>().WithMany().HasForeignKey(d => d.MedicationId);
        modelBuilder.Entity<MedicationDose>().HasOne<Patient>().WithMany().HasForeignKey(d => d.PatientId);
        modelBuilder.Entity<ClinicalNote>().HasOne<Patient>().WithMany().HasForeignKey(n => n.PatientId);
        modelBuilder.Entity<ClinicalNoteVersion>().HasOne<ClinicalNote>().WithMany().HasForeignKey(v => v.NoteId);
        modelBuilder.Entity<BreakGlassGrant>().HasOne<Patient>().WithMany().HasForeignKey(g => g.PatientId);
        modelBuilder.Entity<BreakGlassGrant>().HasOne<Provider>().WithMany().HasForeignKey(g => g.ProviderId);
        modelBuilder.Entity<CareAssignment>().HasKey(a => new { a.PatientId, a.ProviderId });
        modelBuilder.Entity<ClinicalNoteVersion>().HasKey(v => new { v.NoteId, v.Version });
        modelBuilder.Entity<IdempotencyRecord>().HasKey(r => new { r.Subject, r.Key });
        modelBuilder.Entity<QuestionnaireResponse>().Property(q => q.Scores).HasColumnType("jsonb");
        // The plaintext columns of rows written before encryption (migration 0031).
        modelBuilder.Entity<ClinicalNote>().Property(n => n.LegacyContent).HasColumnName("content");
        modelBuilder.Entity<ClinicalNoteVersion>().Property(v => v.LegacyContent).HasColumnName("content");
        modelBuilder.Entity<SymptomEntry>().Property(e => e.LegacyNote).HasColumnName("note");

        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            // snake_case tables (DbSet names) and columns, as the SQL migrations write them.
            entity.SetTableName(SnakeCase(entity.GetTableName()!));
            foreach (var property in entity.GetProperties().Where(p => p.GetColumnName() == p.Name))
            {
                property.SetColumnName(SnakeCase(property.Name));
            }

            // Ids are made in code (Guid v7); a new entity reached through a navigation is an insert, never an update.
            foreach (var key in entity.FindPrimaryKey()?.Properties.Where(p => p.ClrType == typeof(Guid)) ?? [])
            {
                key.ValueGenerated = Microsoft.EntityFrameworkCore.Metadata.ValueGenerated.Never;
            }

            // Optimistic concurrency on PostgreSQL's xmin system column, which every update changes.
            if (entity.FindProperty("Version") is { } version && version.ClrType == typeof(uint))
            {
                modelBuilder.Entity(entity.ClrType).Property<uint>("Version").HasColumnName("xmin").IsRowVersion();
            }
        }
    }

    internal static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(name[i]));
        }

        return builder.ToString();
    }
}
