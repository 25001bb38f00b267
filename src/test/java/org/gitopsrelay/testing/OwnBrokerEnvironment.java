package org.gitopsrelay.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.gitopsrelay.kafka.EmbeddedKafkaBroker;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * The usual test environment, with a Kafka broker the test starts on its own (outside the service's data dir), as
 * an external cluster would be: the service is given its address and whatever else {@link #kafkaSettings} adds.
 */
public abstract class OwnBrokerEnvironment implements QuarkusTestResourceLifecycleManager {

    private final RelayTestEnvironment environment = new RelayTestEnvironment();
    private EmbeddedKafkaBroker broker;

    /** Starts the broker with its log in {@code logDir}. */
    protected abstract EmbeddedKafkaBroker startBroker(Path logDir);

    /** Settings beyond {@code kafka.bootstrap.servers} the service needs for this broker. */
    protected abstract Map<String, String> kafkaSettings();

    @Override
    public Map<String, String> start() {
        try {
            broker = startBroker(Files.createTempDirectory("own-kafka-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> config = new HashMap<>(environment.start());
        config.put("kafka.bootstrap.servers", broker.bootstrapServers());
        config.putAll(kafkaSettings());
        return config;
    }

    @Override
    public void stop() {
        broker.close();
        environment.stop();
    }
}
