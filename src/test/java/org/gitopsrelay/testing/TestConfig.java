package org.gitopsrelay.testing;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.gitopsrelay.config.RelayConfig;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** A real {@link RelayConfig} for plain unit tests, from a data dir and a few overrides. */
public final class TestConfig {

    private TestConfig() {
    }

    public static RelayConfig relay(Path dataDir, String... keyValues) {
        Map<String, String> values = new HashMap<>();
        values.put("relay.data-dir", dataDir.toString());
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(RelayConfig.class)
                .withSources(new PropertiesConfigSource(values, "test", 500))
                .build();
        return config.getConfigMapping(RelayConfig.class);
    }

    /** A real {@link RelayConfig} from environment variables as a container would set them (RELAY_...). */
    public static RelayConfig fromEnvironment(Path dataDir, Map<String, String> variables) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(RelayConfig.class)
                .withSources(new PropertiesConfigSource(Map.of("relay.data-dir", dataDir.toString()), "test", 500))
                .withSources(new EnvConfigSource(variables, 300))
                .build();
        return config.getConfigMapping(RelayConfig.class);
    }
}
