package org.gitopsrelay.testing;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A {@link MattermostStandIn} as incoming webhooks: the relay's default one, and one named {@code team-b} that an
 * app.yaml may refer to. The keys in their paths are the secrets.
 */
public class MattermostWebhookEnvironment implements QuarkusTestResourceLifecycleManager {

    public static final String DEFAULT_KEY = "x7k2defaultwebhooksecret01";
    public static final String TEAM_B_KEY = "q9p4teambwebhooksecret0002";
    public static volatile MattermostStandIn standIn;

    @Override
    public Map<String, String> start() {
        standIn = new MattermostStandIn();
        return Map.of(
                "relay.mattermost.webhook-url", standIn.url() + "/hooks/" + DEFAULT_KEY,
                "relay.mattermost.webhooks.team-b", standIn.url() + "/hooks/" + TEAM_B_KEY,
                "relay.mattermost.backoff", "PT0.1S");
    }

    @Override
    public void stop() {
        if (standIn != null) {
            standIn.close();
        }
    }
}
