package org.gitopsrelay.kafka;

import java.nio.file.Path;

/** The one embedded broker of this JVM, started on demand and stopped when the application stops. */
public final class EmbeddedKafka {

    private static EmbeddedKafkaBroker broker;
    /** The address of a broker taken down on purpose (an outage drill): asking for it does not start it again. */
    private static String heldDown;
    /** Ports of the last broker per log dir: a restarted broker comes back where its clients look for it. */
    private static final java.util.Map<Path, int[]> PORTS = new java.util.HashMap<>();

    private EmbeddedKafka() {
    }

    /** The broker for {@code dataDir}; a broker of another data dir is stopped first. */
    public static synchronized EmbeddedKafkaBroker ensureStarted(Path dataDir) {
        Path logDir = dataDir.resolve("kafka").toAbsolutePath().normalize();
        if (broker != null && !broker.logDir().equals(logDir)) {
            stop();
        }
        if (broker == null) {
            broker = EmbeddedKafkaBroker.start(logDir, PORTS.get(logDir));
            PORTS.put(logDir, broker.ports());
        }
        heldDown = null;
        return broker;
    }

    /**
     * The address clients are given: the running broker's, started on first use; while a broker is held down, its
     * old address, so that a bean created during the outage sees Kafka down instead of starting it again.
     */
    public static synchronized String bootstrapServers(Path dataDir) {
        return heldDown != null ? heldDown : ensureStarted(dataDir).bootstrapServers();
    }

    /** Stops the broker until {@link #ensureStarted} is called: an outage, for drills and tests. */
    public static synchronized void holdDown() {
        if (broker != null) {
            String address = broker.bootstrapServers();
            broker.close();
            broker = null;
            heldDown = address;
        }
    }

    public static synchronized void stop() {
        heldDown = null;
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }
}
