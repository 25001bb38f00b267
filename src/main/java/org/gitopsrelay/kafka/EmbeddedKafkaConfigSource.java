package org.gitopsrelay.kafka;

import java.nio.file.Path;
import java.util.Set;

import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.spi.ConfigSource;

import io.quarkus.runtime.ExecutionMode;

/**
 * Answers {@code kafka.bootstrap.servers} when nobody else does, by starting the embedded broker on first use.
 * Its ordinal is below every real source, so a value set anywhere (properties, environment, -D, a test resource)
 * wins and no broker is started. The build's augmentation step also reads configuration: the broker starts only
 * when the application really runs.
 */
public final class EmbeddedKafkaConfigSource implements ConfigSource {

    static final String BOOTSTRAP = "kafka.bootstrap.servers";

    @Override
    public Set<String> getPropertyNames() {
        return Set.of(BOOTSTRAP);
    }

    @Override
    public String getValue(String propertyName) {
        if (!BOOTSTRAP.equals(propertyName)) {
            return null;
        }
        ExecutionMode mode = ExecutionMode.current();
        if (mode != ExecutionMode.RUNTIME_INIT && mode != ExecutionMode.RUNNING) {
            return null;
        }
        return EmbeddedKafka.bootstrapServers(dataDir());
    }

    private static Path dataDir() {
        String dir = ConfigProvider.getConfig().getOptionalValue("relay.data-dir", String.class).orElse("./data");
        return Path.of(dir);
    }

    @Override
    public int getOrdinal() {
        return 10;
    }

    @Override
    public String getName() {
        return "gitops-relay embedded Kafka";
    }
}
