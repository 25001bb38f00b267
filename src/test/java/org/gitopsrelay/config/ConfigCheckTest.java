package org.gitopsrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;

import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigCheckTest {

    @TempDir
    Path dataDir;

    @Test
    void theDefaultsRunEveryRoleAndPassTheCheck() {
        RelayConfig config = TestConfig.relay(dataDir);
        assertThat(Role.parse(config.roles())).containsExactlyInAnyOrder(Role.values());
        assertThat(ConfigCheck.problems(config)).isEmpty();
    }

    @Test
    void anUnknownRoleIsRefusedWithTheKnownOnes() {
        assertThatThrownBy(() -> Role.parse("ingest, handler")).hasMessage(
                "relay.roles: unknown role 'handler'; the roles are ingest, handlers, monitor, notifier");
        assertThat(Role.parse(" Monitor,notifier ")).containsExactly(Role.MONITOR, Role.NOTIFIER);
        assertThat(ConfigCheck.problems(TestConfig.relay(dataDir, "relay.roles", ","))).singleElement().asString()
                .startsWith("relay.roles is empty");
    }

    @Test
    void everyMattermostMistakeIsListedAndNoSecretIsEchoed() {
        String secretHook = "chat.example.org/hooks/s3cr3t-k3y";
        RelayConfig config = TestConfig.relay(dataDir,
                "relay.mattermost.url", "https://chat.example.org",
                "relay.mattermost.webhook-url", secretHook,
                "relay.mattermost.channel-id", "Town Square",
                "relay.mattermost.attempts", "0",
                "relay.mattermost.backoff", "PT10S",
                "relay.mattermost.max-backoff", "PT1S");
        assertThat(ConfigCheck.problems(config)).containsExactly(
                "relay.mattermost.url and relay.mattermost.token go together (the REST API needs both)",
                "relay.mattermost.webhook-url is not an http(s) URL",
                "relay.mattermost.channel-id 'Town Square' is not a channel id (26 lower-case letters and digits)",
                "relay.mattermost.attempts must be at least 1",
                "relay.mattermost.max-backoff must not be shorter than relay.mattermost.backoff");
        assertThat(String.join(" ", ConfigCheck.problems(config))).doesNotContain("s3cr3t");
    }

    @Test
    void everyTunableOutOfRangeStopsTheStartWithItsName() {
        RelayConfig config = TestConfig.relay(dataDir,
                "relay.gitops.timeout", "PT0S",
                "relay.gitops.trailer-search-depth", "0",
                "relay.kafka.seen-events", "10",
                "relay.kafka.replay-timeout", "-PT1S",
                "relay.webhook.max-clock-skew", "PT2H");
        assertThat(ConfigCheck.problems(config)).containsExactlyInAnyOrder(
                "relay.gitops.timeout must be positive",
                "relay.gitops.trailer-search-depth must be at least 1",
                "relay.kafka.seen-events must be at least 100 (fewer lets a redelivered event through)",
                "relay.kafka.replay-timeout must be positive",
                "relay.webhook.max-clock-skew must be between PT0S and PT1H (a larger skew lets a forged time hold"
                        + " back later changes for that long)");
    }

    @Test
    void aRestApiWithoutDefaultChannelOrOverPlainHttpIsWarnedAbout() {
        RelayConfig config = TestConfig.relay(dataDir, "relay.mattermost.url", "http://chat.example.org",
                "relay.mattermost.token", "t");
        assertThat(ConfigCheck.problems(config)).isEmpty();
        assertThat(ConfigCheck.warnings(config)).hasSize(2).anySatisfy(w -> assertThat(w).startsWith(
                "relay.mattermost.channel-id is not set")).anySatisfy(w -> assertThat(w).contains("plain http"));
    }

    @Test
    void byDefaultAHandlerRidesOutMinutesOfGitOutageBeforeDeadLettering() {
        RelayConfig.Kafka kafka = TestConfig.relay(dataDir).kafka();
        java.time.Duration covered = org.gitopsrelay.shared.Backoff.shortestTotal(kafka.handlerAttempts(),
                kafka.handlerBackoff(), kafka.handlerMaxBackoff());
        assertThat(covered).isGreaterThanOrEqualTo(java.time.Duration.ofMinutes(2));
        // The consumer stays in its group meanwhile: the wait fits well within max.poll.interval.ms (10 minutes).
        assertThat(covered.multipliedBy(2)).isLessThan(java.time.Duration.ofMinutes(10));
    }

    @Test
    void aWebhookWaitsForTheRegistryBrieflyAndNeverPastGitHubsTimeout() {
        assertThat(TestConfig.relay(dataDir).webhook().registryWait()).isEqualTo(java.time.Duration.ofSeconds(2));
        assertThat(ConfigCheck.warnings(TestConfig.relay(dataDir))).isEmpty();
        assertThat(ConfigCheck.problems(TestConfig.relay(dataDir, "relay.webhook.registry-wait", "PT0S")))
                .containsExactly("relay.webhook.registry-wait must be positive");
        assertThat(ConfigCheck.problems(TestConfig.relay(dataDir, "relay.webhook.registry-wait", "PT10S")))
                .containsExactly("relay.webhook.registry-wait must be well under GitHub's 10 s delivery timeout");
        RelayConfig slow = TestConfig.relay(dataDir, "relay.webhook.registry-wait", "PT6S");
        assertThat(ConfigCheck.problems(slow)).isEmpty();
        assertThat(ConfigCheck.warnings(slow)).singleElement().asString()
                .startsWith("relay.webhook.registry-wait and relay.kafka.send-timeout add up to 10 s or more");
    }

    @Test
    void namedWebhooksAreCheckedToo() {
        RelayConfig config = TestConfig.relay(dataDir, "relay.mattermost.webhooks.team-a", "ftp://x/hooks/abc");
        assertThat(config.mattermost().webhooks()).containsKey("team-a");
        assertThat(ConfigCheck.problems(config)).containsExactly(
                "relay.mattermost.webhooks.team-a is not an http(s) URL");
    }

    @Test
    void packingSettingsOutOfRangeAreRefusedAtStart() {
        assertThat(ConfigCheck.problems(TestConfig.relay(dataDir, "relay.gitops.packing.pack-limit",
                "1", "relay.gitops.packing.loose-limit", "0", "relay.gitops.packing.idle", "-PT1S",
                "relay.gitops.packing.interval", "PT0S")))
                .contains("relay.gitops.packing.pack-limit must be at least 2",
                        "relay.gitops.packing.loose-limit must be at least 1",
                        "relay.gitops.packing.idle must not be negative",
                        "relay.gitops.packing.interval must be positive");
    }

    @Test
    void apiTokensThatAreShortSharedOrOddlyNamedAreRefusedAtStart() {
        assertThat(ConfigCheck.problems(TestConfig.relay(dataDir, "relay.api.token", "admin-token-0123456789",
                "relay.api.tokens.ci.token", "short", "relay.api.tokens.ci.role", "deploy",
                "relay.api.tokens.viewer.token", "admin-token-0123456789", "relay.api.tokens.viewer.role", "read",
                "relay.api.tokens.admin.token", "another-token-0123456789", "relay.api.tokens.admin.role", "admin",
                "relay.api.tokens.Bad_Name.token", "bad-name-token-0123456789", "relay.api.tokens.Bad_Name.role",
                "read")))
                .contains("relay.api.tokens.ci.token must be at least 16 characters",
                        "relay.api.tokens.viewer.token is the same as relay.api.token: each token must name one caller",
                        "relay.api.tokens.admin: 'admin' is the name of relay.api.token; choose another",
                        "relay.api.tokens.Bad_Name: a token's name must be 1-40 of a-z and 0-9 (it names who"
                                + " asked in commits)");
    }

    @Test
    void namedApiTokensCanBeSetAsEnvironmentVariablesAsTheReadmeShows() {
        RelayConfig config = TestConfig.fromEnvironment(dataDir, Map.of(
                "RELAY_API_TOKENS_VIEWER_TOKEN", "viewer-token-0123456789",
                "RELAY_API_TOKENS_VIEWER_ROLE", "read",
                "RELAY_API_TOKENS_RELEASEBOT_TOKEN", "releasebot-token-0123456789",
                "RELAY_API_TOKENS_RELEASEBOT_ROLE", "deploy"));

        assertThat(config.api().tokens()).containsOnlyKeys("viewer", "releasebot");
        assertThat(config.api().tokens().get("releasebot").role()).isEqualTo(ApiRole.DEPLOY);
        assertThat(ConfigCheck.problems(config)).isEmpty();
    }
}
