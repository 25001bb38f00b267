package org.gitopsrelay.testing;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A {@link MattermostStandIn} for a test application, configured as the REST API with a bot token and a default
 * channel, with a short retry budget so that failure paths finish within seconds.
 */
public class MattermostApiEnvironment implements QuarkusTestResourceLifecycleManager {

    public static final String CHANNEL = "defaultchannel0000000000aa";
    /** The stand-in of the running test application. */
    public static volatile MattermostStandIn standIn;

    @Override
    public Map<String, String> start() {
        standIn = new MattermostStandIn();
        return Map.of(
                "relay.mattermost.url", standIn.url(),
                "relay.mattermost.token", MattermostStandIn.TOKEN,
                "relay.mattermost.channel-id", CHANNEL,
                "relay.mattermost.attempts", "3",
                "relay.mattermost.backoff", "PT0.2S",
                "relay.mattermost.max-backoff", "PT3S",
                "relay.mattermost.timeout", "PT1S",
                "relay.gitops.web-url", "https://git.example.org/platform/gitops");
    }

    @Override
    public void stop() {
        if (standIn != null) {
            standIn.close();
        }
    }
}
