package org.gitopsrelay.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.gitopsrelay.testing.BackupRelayStandIn;
import org.gitopsrelay.testing.BackupRelayStandIn.Report;
import org.gitopsrelay.testing.ShellScripts;
import org.gitopsrelay.testing.ShellScripts.Result;
import org.gitopsrelay.testing.ThrowawayPostgres;
import org.gitopsrelay.testing.ThrowawayS3;
import org.gitopsrelay.webhook.HmacSignature;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The backup component's real scripts (kustomize-base/components/backup/scripts), run as the CronJob runs them: the
 * dump against a real PostgreSQL 15, the upload against a real S3-compatible server (s3rver) and a stand-in of the
 * relay's {@code POST /webhooks/backup}, then the fetch and seed-preview-db.sh restoring what was stored. Each test
 * uses its own app name, so none sees another's objects.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackupToObjectStoreTest {

    private static final Path SCRIPTS = Path.of("kustomize-base/components/backup/scripts");
    private static final Path SEED = Path.of("kustomize-base/components/preview-database/seed-preview-db.sh");
    private static final String REPORT_SECRET = "report-secret-of-the-backup-webhook";
    private static final Pattern STAMPED_KEY = Pattern.compile("[a-z0-9-]+/[a-z0-9-]+/\\d{8}T\\d{6}Z\\.dump");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path scratch;
    private ThrowawayPostgres postgres;
    private ThrowawayS3 s3;
    private BackupRelayStandIn relay;
    private ShellScripts scripts;

    @BeforeAll
    void start() throws Exception {
        scratch = Files.createTempDirectory("backup-test-");
        postgres = new ThrowawayPostgres();
        s3 = new ThrowawayS3("backups");
        relay = new BackupRelayStandIn();
        scripts = new ShellScripts();
        postgres.client("createdb", "shop");
        postgres.client("psql", "-d", "shop", "-v", "ON_ERROR_STOP=1", "-qc",
                "CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);"
                        + " INSERT INTO customers (name) SELECT 'customer ' || n FROM generate_series(1, 2000) n;");
    }

    @AfterAll
    void stop() throws Exception {
        relay.close();
        s3.close();
        postgres.close();
        new ProcessBuilder("rm", "-rf", scratch.toString()).start().waitFor();
    }

    @BeforeEach
    void forgetReports() {
        relay.reset();
    }

    /** Everything the CronJob's two containers get, for {@code app} in production. */
    private Map<String, String> env(String app, Path backupDir) {
        Map<String, String> env = new java.util.HashMap<>(postgres.clientEnv());
        env.putAll(s3.env());
        env.putAll(Map.of("APP", app, "ENVIRONMENT", "production", "PGDATABASE", "shop", "BACKUP_DIR",
                backupDir.toString(), "BACKUP_KEEP", "3", "RELAY_URL", relay.url(), "REPORT_SECRET", REPORT_SECRET,
                "REPORT_RETRY_SECONDS", "0", "TMPDIR", scratch.toString()));
        return env;
    }

    private record Run(Result dump, Result upload) {
    }

    /** The CronJob's pod: the dump, then the upload (which also runs after a failed dump, to report it). */
    private Run backup(Map<String, String> env) throws Exception {
        Files.createDirectories(Path.of(env.get("BACKUP_DIR")));
        Result dump = scripts.run(SCRIPTS.resolve("db-dump.sh"), env);
        Result upload = dump.exit() == 2 ? null : scripts.run(SCRIPTS.resolve("db-upload.sh"), env);
        return new Run(dump, upload);
    }

    private JsonNode verifiedReport(Report report) throws Exception {
        assertThat(report.signature()).as("signature of %s", report.text())
                .isEqualTo("sha256=" + HmacSignature.sha256Hex(REPORT_SECRET, report.body()));
        assertThat(HmacSignature.matches(REPORT_SECRET, report.body(), report.signature(), "sha256=")).isTrue();
        assertThat(report.contentType()).isEqualTo("application/json");
        return JSON.readTree(report.body());
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private Result fetch(String app, Path into) throws Exception {
        Files.createDirectories(into);
        Map<String, String> env = new java.util.HashMap<>(s3.env());
        env.putAll(Map.of("BACKUP_APP", app, "BACKUP_ENVIRONMENT", "production", "FETCH_DIR", into.toString(),
                "TMPDIR", scratch.toString()));
        return scripts.run(SCRIPTS.resolve("db-fetch-latest.sh"), env);
    }

    private Result seed(String target, Path source) {
        Map<String, String> env = new java.util.HashMap<>(postgres.clientEnv());
        env.putAll(Map.of("TARGET_DB", target, "BACKUP_SOURCE", source.toString(), "SEED_WAIT_SECONDS", "0"));
        return scripts.run(SEED, env);
    }

    private String rows(String database) {
        return postgres.client("psql", "-d", database, "-tAc",
                "SELECT count(*) || ' ' || md5(string_agg(name, ',' ORDER BY id)) FROM customers");
    }

    @Test
    void aBackupIsDumpedUploadedUnderItsKeyAndReportedSignedAndRestoresToTheSameRows() throws Exception {
        long started = System.nanoTime();
        Run run = backup(env("demo", scratch.resolve("demo")));
        long backedUp = System.nanoTime();

        assertThat(run.dump().exit()).as(run.dump().output()).isZero();
        assertThat(run.upload().exit()).as(run.upload().output()).isZero();
        List<String> keys = s3.keys("demo/production/");
        assertThat(keys).hasSize(2);
        String key = keys.get(0);
        assertThat(key).matches(STAMPED_KEY).startsWith("demo/production/");
        assertThat(keys.get(1)).isEqualTo(key + ".sha256");
        byte[] stored = s3.get(key);
        assertThat(stored).startsWith("PGDMP".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(s3.get(key + ".sha256"), StandardCharsets.US_ASCII))
                .isEqualTo(sha256(stored) + "  " + key.substring(key.lastIndexOf('/') + 1) + "\n");

        assertThat(relay.reports()).hasSize(1);
        Report report = relay.reports().get(0);
        JsonNode body = verifiedReport(report);
        assertThat(body.path("kind").asText()).isEqualTo("backup");
        assertThat(body.path("app").asText()).isEqualTo("demo");
        assertThat(body.path("environment").asText()).isEqualTo("production");
        assertThat(body.path("outcome").asText()).isEqualTo("succeeded");
        assertThat(body.path("objectKey").asText()).isEqualTo(key);
        assertThat(body.path("sizeBytes").asLong()).isEqualTo(stored.length);
        assertThat(body.path("sha256").asText()).isEqualTo(sha256(stored));
        assertThat(body.path("startedAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(body.path("finishedAt").asText()).isGreaterThanOrEqualTo(body.path("startedAt").asText());
        assertThat(body.has("message")).isFalse();
        String stamp = key.substring("demo/production/".length(), key.length() - ".dump".length());
        assertThat(report.delivery()).isEqualTo("demo-production-backup-" + stamp);

        Path fetched = scratch.resolve("fetched-demo");
        Result fetch = fetch("demo", fetched);
        assertThat(fetch.exit()).as(fetch.output()).isZero();
        long downloaded = System.nanoTime();
        Result seed = seed("restored_demo", fetched);
        long restored = System.nanoTime();
        assertThat(seed.exit()).as(seed.output()).isZero();
        assertThat(seed.output()).contains("restoring " + fetched.resolve(stamp + ".dump"));
        assertThat(rows("restored_demo")).isEqualTo(rows("shop")).startsWith("2000 ");
        System.out.printf("backup of a %d-byte dump (2000 rows): dump+upload+report %d ms, fetch %d ms,"
                + " restore %d ms%n", stored.length, (backedUp - started) / 1_000_000,
                (downloaded - backedUp) / 1_000_000, (restored - downloaded) / 1_000_000);
    }

    @Test
    void retentionDeletesOnlyTheOlderDumpsOfThatAppAndEnvironment() throws Exception {
        byte[] old = "an old dump".getBytes(StandardCharsets.US_ASCII);
        List<String> ours = List.of("keep/production/20250101T030000Z.dump", "keep/production/20250102T030000Z.dump",
                "keep/production/20250103T030000Z.dump", "keep/production/20250104T030000Z.dump");
        List<String> others = List.of("keep/staging/20240101T030000Z.dump", "keep-two/production/20240101T030000Z.dump",
                "keep/production-eu/20240101T030000Z.dump", "keep/production/notes.txt",
                "keep/production/manual/20240101T030000Z.dump", "keep/production/20240101T030000Z.dump.bak");
        for (String key : ours) {
            s3.put(key, old);
            s3.put(key + ".sha256", (sha256(old) + "  x\n").getBytes(StandardCharsets.US_ASCII));
        }
        for (String key : others) {
            s3.put(key, old);
        }

        Run run = backup(env("keep", scratch.resolve("keep")));

        assertThat(run.upload().exit()).as(run.upload().output()).isZero();
        List<String> dumps = s3.keys("keep/production/").stream().filter(key -> STAMPED_KEY.matcher(key).matches())
                .toList();
        assertThat(dumps).hasSize(3);
        assertThat(dumps.subList(0, 2)).containsExactly(ours.get(2), ours.get(3));
        assertThat(s3.keys("keep/production/")).contains(ours.get(2) + ".sha256", ours.get(3) + ".sha256")
                .doesNotContain(ours.get(0), ours.get(0) + ".sha256", ours.get(1), ours.get(1) + ".sha256");
        for (String key : others) {
            assertThat(s3.keys(key)).as("%s is not ours to delete", key).contains(key);
        }
        assertThat(run.upload().stdout()).contains("deleted " + ours.get(0), "deleted " + ours.get(1));
    }

    private JsonNode theOnlyReportFailed(Run run) throws Exception {
        assertThat(run.upload().exit()).as(run.upload().output()).isEqualTo(1);
        assertThat(relay.reports()).hasSize(1);
        JsonNode body = verifiedReport(relay.reports().get(0));
        assertThat(body.path("outcome").asText()).isEqualTo("failed");
        assertThat(body.has("objectKey")).as("nothing was stored").isFalse();
        assertThat(body.path("message").asText()).hasSizeLessThanOrEqualTo(1000);
        return body;
    }

    @Test
    void aDatabaseThatIsDownIsReportedFailedWithPgDumpsReason() throws Exception {
        Map<String, String> env = ShellScripts.env(env("down", scratch.resolve("down")),
                Map.of("PGPORT", String.valueOf(closedPort())));

        Run run = backup(env);

        assertThat(run.dump().exit()).isEqualTo(1);
        JsonNode body = theOnlyReportFailed(run);
        assertThat(body.path("message").asText()).startsWith("pg_dump of database shop failed:")
                .contains("connect");
        assertThat(s3.keys("down/")).isEmpty();
    }

    @Test
    void aStoreRefusingTheKeyIsReportedFailedWithTheStoresReason() throws Exception {
        Map<String, String> env = ShellScripts.env(env("refused", scratch.resolve("refused")),
                Map.of("S3_ACCESS_KEY_ID", "NOT-A-KEY-OF-THIS-STORE"));

        Run run = backup(env);

        assertThat(run.dump().exit()).isZero();
        JsonNode body = theOnlyReportFailed(run);
        assertThat(body.path("message").asText()).contains("storing refused/production/", "HTTP 403",
                "InvalidAccessKeyId").doesNotContain(ThrowawayS3.SECRET_ACCESS_KEY + "\"");
        assertThat(body.path("sha256").asText()).hasSize(64);
    }

    @Test
    void aMissingBucketIsReportedFailed() throws Exception {
        Run run = backup(ShellScripts.env(env("nobucket", scratch.resolve("nobucket")),
                Map.of("S3_BUCKET", "no-such-bucket")));

        JsonNode body = theOnlyReportFailed(run);
        assertThat(body.path("message").asText()).contains("HTTP 404", "NoSuchBucket");
    }

    @Test
    void aRelayAnswering503ThenTakesTheReportOnce() throws Exception {
        relay.answer(503);

        Run run = backup(env("flaky", scratch.resolve("flaky")));

        assertThat(run.upload().exit()).as(run.upload().output()).isZero();
        assertThat(relay.reports()).extracting(Report::answered).containsExactly(503, 202);
        assertThat(relay.reports()).extracting(Report::delivery).as("the same delivery, tried again").hasSize(2)
                .containsOnly(relay.reports().get(0).delivery());
        assertThat(relay.reports().get(1).text()).isEqualTo(relay.reports().get(0).text());
        assertThat(run.upload().stderr()).contains("report try 1 failed (HTTP 503)");
    }

    @Test
    void aRelayAnswering401IsNotAskedAgainAndTheRunSaysWhy() throws Exception {
        relay.answer(401);

        Run run = backup(env("unsigned", scratch.resolve("unsigned")));

        assertThat(run.upload().exit()).isEqualTo(3);
        assertThat(relay.reports()).hasSize(1);
        assertThat(run.upload().stderr()).contains("refused the report with HTTP 401, not retried",
                "check REPORT_SECRET");
        assertThat(s3.keys("unsigned/production/")).as("the dump itself is stored").hasSize(2);
    }

    @Test
    void aRelayThatNeverAnswersIsTriedAFewTimesThenTheRunFails() throws Exception {
        Map<String, String> env = ShellScripts.env(env("norelay", scratch.resolve("norelay")),
                Map.of("RELAY_URL", "http://127.0.0.1:" + closedPort(), "REPORT_TRIES", "3"));

        Run run = backup(env);

        assertThat(run.upload().exit()).isEqualTo(3);
        assertThat(run.upload().stderr()).contains("report try 2 failed", "could not be delivered after 3 tries");
    }

    @Test
    void aDumpThatDoesNotMatchItsChecksumIsNotRestored() throws Exception {
        Run run = backup(env("tampered", scratch.resolve("tampered")));
        assertThat(run.upload().exit()).as(run.upload().output()).isZero();
        String key = s3.keys("tampered/production/").get(0);
        byte[] dump = s3.get(key);
        dump[dump.length / 2] ^= 1;
        s3.put(key, dump);

        Path fetched = scratch.resolve("fetched-tampered");
        Result fetch = fetch("tampered", fetched);

        assertThat(fetch.exit()).isEqualTo(1);
        assertThat(fetch.stderr()).contains(key + " does not match its checksum", "refusing to restore it");
        try (var left = Files.list(fetched)) {
            assertThat(left).as("nothing left to restore").isEmpty();
        }
        Result seed = seed("restored_tampered", fetched);
        assertThat(seed.output()).contains("restored_tampered starts empty");
    }

    @ParameterizedTest
    @ValueSource(strings = { "../etc", "a b", "it's", "say\"hi\"", "demo/production", "Demo", "-rf", "x;touch y",
            "$(touch z)", "" })
    void hostileNamesAreRefusedBeforeAnyCommandRuns(String hostile) throws Exception {
        Path traps = Files.createDirectories(scratch.resolve("traps"));
        Path ran = scratch.resolve("ran");
        for (String command : List.of("pg_dump", "curl", "psql", "pg_restore")) {
            Path trap = traps.resolve(command);
            Files.writeString(trap, "#!/bin/sh\necho " + command + " >>" + ran + "\nexit 1\n");
            trap.toFile().setExecutable(true);
        }
        Files.deleteIfExists(ran);
        Path dir = Files.createDirectories(scratch.resolve("hostile"));
        Map<String, String> env = env("hostile", dir);
        env.put("PATH", traps + ":" + env.get("PATH"));

        for (String variable : List.of("APP", "ENVIRONMENT", "PGDATABASE")) {
            if (variable.equals("PGDATABASE") && hostile.equals("Demo")) {
                continue; // a database name may have capitals
            }
            Result dump = scripts.run(SCRIPTS.resolve("db-dump.sh"), ShellScripts.env(env, Map.of(variable, hostile)));
            assertThat(dump.exit()).as("db-dump.sh with %s=%s: %s", variable, hostile, dump.output()).isEqualTo(2);
            assertThat(dump.stderr()).contains(variable + " '" + hostile + "' is not a plain");
        }
        for (String variable : List.of("APP", "ENVIRONMENT", "S3_BUCKET", "S3_ENDPOINT", "RELAY_URL", "REQUEST_ID")) {
            if (hostile.isEmpty() && List.of("RELAY_URL", "REQUEST_ID").contains(variable)) {
                continue; // optional: empty means not set
            }
            if (variable.equals("REQUEST_ID") && List.of("Demo", "-rf").contains(hostile)) {
                continue; // harmless as an id: it only ever reaches the report's JSON, quoted
            }
            Result upload = scripts.run(SCRIPTS.resolve("db-upload.sh"),
                    ShellScripts.env(env, Map.of(variable, hostile)));
            assertThat(upload.exit()).as("db-upload.sh with %s=%s: %s", variable, hostile, upload.output())
                    .isEqualTo(2);
            assertThat(upload.stderr()).contains(variable + " '" + hostile + "' is not ");
        }
        for (String variable : List.of("BACKUP_APP", "BACKUP_ENVIRONMENT")) {
            if (hostile.isEmpty()) {
                continue; // empty BACKUP_APP: nothing to fetch; empty BACKUP_ENVIRONMENT: staging
            }
            Map<String, String> fetchEnv = ShellScripts.env(env, Map.of("BACKUP_APP", "hostile", "FETCH_DIR",
                    dir.toString()));
            fetchEnv.put(variable, hostile);
            Result fetch = scripts.run(SCRIPTS.resolve("db-fetch-latest.sh"), fetchEnv);
            assertThat(fetch.exit()).as("db-fetch-latest.sh with %s=%s: %s", variable, hostile, fetch.output())
                    .isEqualTo(2);
        }

        assertThat(ran).as("no command ran").doesNotExist();
        assertThat(relay.reports()).isEmpty();
        try (var left = Files.list(dir)) {
            assertThat(left).as("nothing written").isEmpty();
        }
    }

    private static int closedPort() throws Exception {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
