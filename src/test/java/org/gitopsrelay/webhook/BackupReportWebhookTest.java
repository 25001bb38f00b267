package org.gitopsrelay.webhook;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.Webhooks.backupReport;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.gitopsrelay.app.Onboarding;
import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.monitor.BackupMonitor;
import org.gitopsrelay.testing.EventsDoc;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.gitopsrelay.testing.TestApps;
import org.gitopsrelay.testing.TopicReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A backup job's report over real HTTP becomes an event on the real broker's {@code relay.backups}, and the monitor
 * turns it into the metrics the backup alerts read.
 */
@QuarkusTest
@QuarkusTestResource(RelayTestEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackupReportWebhookTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RelayConfig config;

    @Inject
    RegistrySync registrySync;

    @Inject
    BackupMonitor monitor;

    private TopicReader backups;

    @BeforeAll
    void readTopics() {
        backups = new TopicReader(Topics.BACKUPS);
    }

    @AfterAll
    void closeReaders() {
        backups.close();
    }

    /** docs/events.md shows every field a real record of the type has. */
    private static void documented(RelayEvent event) {
        var example = EventsDoc.example(event.type()).orElseThrow(
                () -> new AssertionError("docs/events.md has no example for " + event.type()));
        assertThat(EventsDoc.paths(example)).containsAll(EventsDoc.paths(EventCodec.JSON.valueToTree(event)));
    }

    /** An app of this test's own with a PostgreSQL database, as a team would register it. */
    private String appWithDatabase() throws Exception {
        String name = "backed-" + UUID.randomUUID().toString().substring(0, 6);
        TestApps.pushApp(TestApps.freshClone(config.dataDir()), name,
                Onboarding.demoAppYaml().replace("demo", name) + "database: {engine: postgresql}\n");
        registrySync.refresh();
        return name;
    }

    private static String succeeded(String app, String env, Instant finishedAt) {
        String stamp = finishedAt.toString().replace("-", "").replace(":", "").replaceAll("\\.\\d+", "");
        return "{\"kind\":\"backup\",\"app\":\"" + app + "\",\"environment\":\"" + env + "\",\"outcome\":\"succeeded\","
                + "\"objectKey\":\"" + app + "/" + env + "/" + stamp + ".dump\",\"sizeBytes\":52341,"
                + "\"sha256\":\"" + "ab".repeat(32) + "\",\"startedAt\":\"" + finishedAt.minusSeconds(7) + "\","
                + "\"finishedAt\":\"" + finishedAt + "\"}";
    }

    /** A series of /q/metrics by app and environment (Micrometer writes labels in alphabetical order); NaN: none. */
    private static double metric(String name, String app, String env) {
        String text = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher found = Pattern.compile("(?m)^" + name + "\\{app=\"" + Pattern.quote(app) + "\",environment=\""
                + env + "\"[^}]*} (\\S+)").matcher(text);
        return found.find() ? Double.parseDouble(found.group(1)) : Double.NaN;
    }

    @Test
    void aSignedReportBecomesAnEventAndTheTimeOfTheLastGoodBackup() throws Exception {
        String app = appWithDatabase();
        Instant finishedAt = Instant.parse("2026-01-15T03:15:07Z");
        String delivery = app + "-production-backup-20261125T031500Z";

        String eventId = backupReport(succeeded(app, "production", finishedAt), delivery).statusCode(202)
                .body("events", hasSize(1)).extract().path("events[0]");

        ConsumerRecord<String, String> record = backups.await(r -> r.value().contains(eventId), WAIT);
        RelayEvent event = EventCodec.decode(record.value());
        assertThat(record.key()).isEqualTo(app);
        assertThat(event.type()).isEqualTo("relay.backup.succeeded");
        assertThat(event.data().path("objectKey").asText()).isEqualTo(app + "/production/20260115T031507Z.dump");
        assertThat(event.data().path("sizeBytes").asLong()).isEqualTo(52341);
        documented(event);
        Awaitility.await().atMost(WAIT).untilAsserted(() -> assertThat(
                metric("relay_backup_last_success_timestamp_seconds", app, "production"))
                .isEqualTo(finishedAt.getEpochSecond()));
        assertThat(metric("relay_backups_total", app, "production")).isEqualTo(1.0);

        // The job sent its report again (it did not see the 202): the same event, counted once.
        backupReport(succeeded(app, "production", finishedAt), delivery).statusCode(202)
                .body("events[0]", equalTo(eventId));
        // An older backup's report, arriving late, does not move the time back.
        backupReport(succeeded(app, "production", finishedAt.minusSeconds(86_400)), delivery + "-older")
                .statusCode(202);
        Awaitility.await().atMost(WAIT).untilAsserted(
                () -> assertThat(metric("relay_backups_total", app, "production")).isEqualTo(2.0));
        assertThat(metric("relay_backup_last_success_timestamp_seconds", app, "production"))
                .isEqualTo(finishedAt.getEpochSecond());
    }

    @Test
    void aFailedBackupIsAnEventWithItsReasonAndLeavesTheLastGoodTimeAlone() throws Exception {
        String app = appWithDatabase();
        String body = "{\"kind\":\"backup\",\"app\":\"" + app + "\",\"environment\":\"staging\","
                + "\"outcome\":\"failed\",\"startedAt\":\"2026-01-15T03:15:00Z\","
                + "\"finishedAt\":\"2026-01-15T03:15:02Z\",\"message\":\"pg_dump: connection refused "
                + "x".repeat(2000) + "\"}";

        String eventId = backupReport(body, app + "-failed").statusCode(202).extract().path("events[0]");

        RelayEvent event = EventCodec.decode(backups.await(r -> r.value().contains(eventId), WAIT).value());
        assertThat(event.type()).isEqualTo("relay.backup.failed");
        documented(event);
        assertThat(event.data().path("message").asText()).startsWith("pg_dump: connection refused").hasSize(1001);
        Awaitility.await().atMost(WAIT).untilAsserted(() -> assertThat(metric("relay_backups_total", app, "staging"))
                .isEqualTo(1.0));
        assertThat(metric("relay_backup_last_success_timestamp_seconds", app, "staging")).isNaN();
    }

    @Test
    void everyEnvironmentOfAnAppWithADatabaseIsExpectedToBeBackedUpSoOneNeverBackedUpAlerts() throws Exception {
        String app = appWithDatabase();

        monitor.restore();

        String text = given().get("/q/metrics").then().extract().asString();
        assertThat(text).contains("relay_backup_expected{app=\"" + app + "\",environment=\"production\"} 1.0",
                "relay_backup_expected{app=\"" + app + "\",environment=\"staging\"} 1.0");
        assertThat(metric("relay_backup_last_success_timestamp_seconds", app, "staging")).isNaN();
    }

    @Test
    void aRestartedMonitorShowsTheRecordedTimeBeforeAnyNewReport() throws Exception {
        String app = appWithDatabase();
        long recorded = Instant.parse("2026-11-24T02:00:00Z").getEpochSecond();
        // What a monitor that ran before this process recorded, in the compacted relay.monitor-state.
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                TopicReader.clientConfig(java.util.Map.of()), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.MONITOR_STATE, "backup-success/" + app + "/production",
                    String.valueOf(recorded))).get();
        }

        monitor.restore();

        assertThat(metric("relay_backup_last_success_timestamp_seconds", app, "production")).isEqualTo(recorded);
        assertThat(metric("relay_backup_last_success_timestamp_seconds", app, "staging")).as("never backed up")
                .isNaN();
    }

    @Test
    void reportsThatAreUnsignedMalformedOrAboutAnotherAppAreRefusedWithTheReason() throws Exception {
        String app = appWithDatabase();
        Instant at = Instant.parse("2026-01-15T03:15:07Z");
        String good = succeeded(app, "production", at);

        given().contentType("application/json").header("X-Relay-Delivery", "d1").body(good)
                .post("/webhooks/backup").then().statusCode(401)
                .body("error", equalTo("The X-Relay-Signature-256 header is missing"));
        given().contentType("application/json").header("X-Relay-Delivery", "d1")
                .header("X-Relay-Signature-256", "sha256=" + "00".repeat(32)).body(good)
                .post("/webhooks/backup").then().statusCode(401).body("reason", equalTo("bad-signature"));
        backupReport(good.replace(app + "/production/", "other-app/production/"), "d2").statusCode(400)
                .body("error", equalTo("The objectKey must be " + app + "/production/<YYYYMMDDTHHMMSSZ>.dump"));
        backupReport(good.replace("\"app\":\"" + app + "\"", "\"app\":\"../" + app + "\""), "d3").statusCode(400)
                .body("error", equalTo("The field 'app' is not a plain name (a-z, 0-9, '-')"));
        backupReport(good.replace("\"kind\":\"backup\"", "\"kind\":\"snapshot\""), "d4").statusCode(400)
                .body("error", equalTo("The field 'kind' must be one of [backup, restore]"));
        backupReport(good.replace("\"sizeBytes\":52341", "\"sizeBytes\":-1"), "d5").statusCode(400)
                .body("error", equalTo("The field 'sizeBytes' must be a whole number of bytes"));
        backupReport(good.replace("\"sizeBytes\":52341,", "\"sizeBytes\":52341,\"extra\":1,"), "d6")
                .statusCode(400).body("error", equalTo("The field 'extra' is not part of a backup report"));
        backupReport(good.replace("\"sha256\":\"" + "ab".repeat(32) + "\",", ""), "d7").statusCode(400)
                .body("error", equalTo("A succeeded report names its objectKey, sha256 and sizeBytes"));
        backupReport(good, "not a token").statusCode(400)
                .body("error", equalTo("The X-Relay-Delivery header is not a plain token"));
        backupReport(good.replace(app, "nobody-registers-this"), "d8").statusCode(422)
                .body("error", equalTo("No app named nobody-registers-this is registered"));
        backupReport(good.replace("production", "qa"), "d9").statusCode(422)
                .body("error", equalTo("App " + app + " has no environment qa"));
        // Signed with the key of another environment (or app): that key's holder cannot report this one.
        backupReport(good, "d10", BackupWebhook.keyOf(RelayTestEnvironment.BACKUP_SECRET, app, "staging"))
                .statusCode(401).body("error", equalTo("The X-Relay-Signature-256 signature does not match the body"
                        + " and the key of " + app + "/production"));
        backupReport(good.replace("2026-01-15T03:15:07Z", "2099-01-01T00:00:00Z"), "d11").statusCode(400)
                .body("error", equalTo("finishedAt is in the future (2099-01-01T00:00:00Z): check the job's clock"));
        assertThat(backups.drain(Duration.ofMillis(500)).stream().map(ConsumerRecord::key).toList())
                .as("nothing refused reached the topic").doesNotContain(app);
    }
}
