package org.gitopsrelay.kafka;

import java.nio.file.Path;

/** The one embedded broker of this JVM, started on demand and stopped when the application stops. */
public final class EmbeddedKafka {

    private static EmbeddedKafkaBroker broker;
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
        return broker;
    }

    public static synchronized void stop() {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }
}
