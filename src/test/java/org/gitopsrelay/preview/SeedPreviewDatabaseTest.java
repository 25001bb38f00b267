package org.gitopsrelay.preview;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.gitopsrelay.testing.ThrowawayPostgres;
import org.gitopsrelay.testing.ThrowawayPostgres.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real seed script of {@code kustomize-base/components/preview-database}, run against a real PostgreSQL 15
 * that the test starts, with real {@code pg_dump} backups of a "staging" database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SeedPreviewDatabaseTest {

    private static final Path SCRIPT = Path.of("kustomize-base/components/preview-database/seed-preview-db.sh");

    @TempDir
    Path tmp;

    private ThrowawayPostgres postgres;
    private Path backups;

    @BeforeAll
    void startPostgresWithStagingBackups() throws Exception {
        postgres = new ThrowawayPostgres();
        backups = Files.createTempDirectory("staging-backups-");
        postgres.client("createdb", "staging");
        postgres.client("psql", "-d", "staging", "-v", "ON_ERROR_STOP=1", "-qc",
                "CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);"
                        + " INSERT INTO customers (name) VALUES ('Ada'), ('Grace');");
        postgres.client("pg_dump", "-Fc", "-d", "staging", "-f", backups.resolve("2026-11-21T0300Z.dump").toString());
        postgres.client("psql", "-d", "staging", "-qc", "INSERT INTO customers (name) VALUES ('Margaret');");
        Path latest = backups.resolve("2026-11-22T0300Z.dump");
        postgres.client("pg_dump", "-Fc", "-d", "staging", "-f", latest.toString());
        Files.writeString(backups.resolve("2026-11-22T0300Z.dump.sha256"),
                postgres.client("sha256sum", latest.toString()));
    }

    @AfterAll
    void stop() throws Exception {
        postgres.close();
    }

    private Result seed(String target, String backupSource) {
        return postgres.exec(List.of("sh", SCRIPT.toAbsolutePath().toString()),
                Map.of("TARGET_DB", target, "BACKUP_SOURCE", backupSource, "SEED_WAIT_SECONDS", "0"));
    }

    private List<String> databases() {
        return List.of(postgres.client("psql", "-d", "postgres", "-tAc", "SELECT datname FROM pg_database").split("\n"));
    }

    @Test
    void seedsTheNewDatabaseFromStagingsLatestBackupOnce() {
        Result first = seed("preview_a", backups.toString());

        assertThat(first.exit()).as(first.output()).isZero();
        assertThat(first.output()).contains("restoring " + backups.resolve("2026-11-22T0300Z.dump"));
        assertThat(postgres.client("psql", "-d", "preview_a", "-tAc", "SELECT string_agg(name, ',' ORDER BY id) FROM customers"))
                .isEqualTo("Ada,Grace,Margaret\n");

        Result again = seed("preview_a", backups.toString());
        assertThat(again.exit()).isZero();
        assertThat(again.output()).contains("database preview_a already exists; nothing to do");
    }

    @Test
    void aBackupThatFailsItsChecksumIsNotRestoredAndNoDatabaseAppears() throws Exception {
        Path corrupt = Files.createDirectories(tmp.resolve("corrupt"));
        Files.copy(backups.resolve("2026-11-22T0300Z.dump"), corrupt.resolve("2026-11-22T0300Z.dump"));
        Files.writeString(corrupt.resolve("2026-11-22T0300Z.dump.sha256"), "0".repeat(64) + "  x\n");

        Result result = seed("preview_b", corrupt.toString());

        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.output()).contains("does not match its checksum");
        assertThat(databases()).doesNotContain("preview_b", "preview_b_seeding");
    }

    @Test
    void aRestoreThatFailsHalfWayLeavesNoDatabaseTheAppCouldStartOn() throws Exception {
        Path broken = Files.createDirectories(tmp.resolve("broken"));
        byte[] dump = Files.readAllBytes(backups.resolve("2026-11-22T0300Z.dump"));
        Files.write(broken.resolve("2026-11-23T0300Z.dump"), java.util.Arrays.copyOf(dump, dump.length / 2));

        Result result = seed("preview_c", broken.toString());

        assertThat(result.exit()).isEqualTo(1);
        assertThat(databases()).doesNotContain("preview_c", "preview_c_seeding");
    }

    @Test
    void withoutABackupSourceTheDatabaseStartsEmpty() {
        Result result = seed("preview_d", "");

        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(result.output()).contains("preview_d starts empty");
        assertThat(postgres.client("psql", "-d", "preview_d", "-tAc",
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).isEqualTo("0\n");
    }

    @Test
    void aTargetThatIsNotAPlainNameIsRefused() {
        Result result = seed("app\"; DROP DATABASE staging; --", backups.toString());

        assertThat(result.exit()).isEqualTo(2);
        assertThat(databases()).contains("staging");
    }
}
