package org.gitopsrelay.kafka;

import java.util.HashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.smallrye.common.annotation.Identifier;

/**
 * The Kafka settings every client the service builds itself starts from: the connector's default configuration
 * ({@code kafka.*}: bootstrap servers, security protocol, SASL, TLS), so that a client of the relay's own never
 * reaches a secured cluster without its credentials while the connector's consumers do.
 */
@ApplicationScoped
public class KafkaClientConfig {

    private final Map<String, Object> common;

    @Inject
    public KafkaClientConfig(@Identifier("default-kafka-broker") Map<String, Object> connectorDefaults) {
        this.common = Map.copyOf(connectorDefaults);
    }

    /** The common settings with a client's own on top. */
    public Map<String, Object> with(Map<String, Object> own) {
        Map<String, Object> config = new HashMap<>(common);
        config.putAll(own);
        return config;
    }

    public String bootstrapServers() {
        return String.valueOf(common.get("bootstrap.servers"));
    }
}
