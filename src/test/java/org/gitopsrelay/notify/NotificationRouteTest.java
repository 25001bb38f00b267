package org.gitopsrelay.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.gitopsrelay.app.NotificationSettings;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

class NotificationRouteTest {

    private static final String CHANNEL = "defaultchannel000000000000";

    @TempDir
    Path dataDir;

    private static Optional<NotificationSettings> app(String channel, String webhook) {
        return Optional.of(new NotificationSettings(Optional.ofNullable(channel), Optional.ofNullable(webhook)));
    }

    @Test
    void withNothingConfiguredNotificationsGoToTheLog() {
        RelayConfig config = TestConfig.relay(dataDir);
        assertThat(NotificationRoute.of(config.mattermost(), app("appchannel0000000000000000", null)).kind())
                .isEqualTo(NotificationRoute.Kind.LOG);
    }

    @Test
    void theRestApiPostsToTheAppsChannelElseTheDefaultOne() {
        RelayConfig config = TestConfig.relay(dataDir, "relay.mattermost.url", "https://chat.example.org",
                "relay.mattermost.token", "t", "relay.mattermost.channel-id", CHANNEL);
        assertThat(NotificationRoute.of(config.mattermost(), app("appchannel0000000000000000", null)))
                .isEqualTo(new NotificationRoute(NotificationRoute.Kind.API, "appchannel0000000000000000"));
        assertThat(NotificationRoute.of(config.mattermost(), Optional.empty()))
                .isEqualTo(new NotificationRoute(NotificationRoute.Kind.API, CHANNEL));
    }

    @Test
    void anAppsNamedWebhookWinsAndAnUnknownNameFallsBackToTheDefault() {
        RelayConfig config = TestConfig.relay(dataDir, "relay.mattermost.webhook-url", "https://chat/hooks/default",
                "relay.mattermost.webhooks.team-a", "https://chat/hooks/a");
        assertThat(NotificationRoute.of(config.mattermost(), app(null, "team-a")).target())
                .isEqualTo("https://chat/hooks/a");
        assertThat(NotificationRoute.of(config.mattermost(), app(null, "team-z")).target())
                .isEqualTo("https://chat/hooks/default");
    }

    @Test
    void aNamedWebhookGivenAsAnEnvironmentVariableIsFoundByItsDashedName() {
        RelayConfig config = new SmallRyeConfigBuilder().withMapping(RelayConfig.class)
                .withSources(new EnvConfigSource(Map.of("RELAY_MATTERMOST_WEBHOOKS_TEAM_SHOP",
                        "https://chat.example.org/hooks/k", "RELAY_DATA_DIR", dataDir.toString()), 300))
                .build().getConfigMapping(RelayConfig.class);
        // Environment variables cannot say '-': the key reads team.shop.
        assertThat(config.mattermost().webhooks()).containsKey("team.shop");
        assertThat(NotificationRoute.of(config.mattermost(), app(null, "team-shop")).target())
                .isEqualTo("https://chat.example.org/hooks/k");
    }

    @Test
    void aWebhookRouteNeverShowsItsUrl() {
        assertThat(new NotificationRoute(NotificationRoute.Kind.WEBHOOK, "https://chat.example.org/hooks/s3cr3t")
                .toString()).isEqualTo("WEBHOOK(chat.example.org)");
    }
}
