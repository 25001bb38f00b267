package org.gitopsrelay.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Destroyed;
import jakarta.enterprise.event.Observes;

/** Stops the embedded broker once the application, and with it every Kafka client, has stopped. */
@ApplicationScoped
public class EmbeddedKafkaLifecycle {

    void onStop(@Observes @Destroyed(ApplicationScoped.class) Object event) {
        EmbeddedKafka.stop();
    }
}
