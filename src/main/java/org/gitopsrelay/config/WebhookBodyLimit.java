package org.gitopsrelay.config;

import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;

/**
 * Keeps the HTTP server's body limit just above {@code relay.webhook.max-body-bytes}: a body far larger is refused
 * while it arrives, before anything buffers it for the signature check, and one a little larger still reaches the
 * webhook's own 413 that names the setting. A {@code quarkus.http.limits.max-body-size} set explicitly wins.
 */
public class WebhookBodyLimit implements ConfigSourceFactory {

    static final String DEFAULT_MAX_BODY_BYTES = "5242880";
    /** Room for a body a little over the limit to get the webhook's own, clearer 413. */
    static final long MARGIN_BYTES = 65_536;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue value = context.getValue("relay.webhook.max-body-bytes");
        String text = value == null || value.getValue() == null ? DEFAULT_MAX_BODY_BYTES : value.getValue().trim();
        long limit;
        try {
            limit = Long.parseLong(text) + MARGIN_BYTES;
        } catch (NumberFormatException e) {
            // The mapping reports the bad value at start; the server keeps Quarkus' default meanwhile.
            return List.of();
        }
        return List.of(new PropertiesConfigSource(Map.of("quarkus.http.limits.max-body-size", String.valueOf(limit)),
                "relay.webhook.max-body-bytes", RoleChannels.ORDINAL));
    }
}
