package org.gitopsrelay.config;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;

/**
 * Turns {@code relay.roles} into the messaging switches: a channel whose role does not run here is disabled, so its
 * consumer group never sees this process and no offset is committed for work not done. Its low ordinal lets an
 * explicit {@code mp.messaging.incoming.<channel>.enabled} win.
 */
public class RoleChannels implements ConfigSourceFactory {

    static final int ORDINAL = 50;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue value = context.getValue("relay.roles");
        Set<Role> roles;
        try {
            roles = value == null || value.getValue() == null ? Set.of(Role.values()) : Role.parse(value.getValue());
        } catch (IllegalArgumentException e) {
            // Left to the start-up check, which fails with this message; here every channel keeps its default.
            return Collections.emptyList();
        }
        Map<String, String> switches = new HashMap<>();
        for (Role role : Role.values()) {
            for (String channel : role.channels()) {
                switches.put("mp.messaging.incoming." + channel + ".enabled", String.valueOf(roles.contains(role)));
            }
        }
        return List.of(new PropertiesConfigSource(switches, "relay.roles", ORDINAL));
    }
}
