package org.gitopsrelay.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.jboss.logging.Logger;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;

/**
 * A single-node Apache Kafka broker (KRaft, broker and controller in one) running inside this JVM, for local use
 * and tests. Its log lives in a folder of its own and is reused on the next start, so events survive a restart.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddedKafkaBroker.class);
    private static final int NODE_ID = 1;

    private final Path logDir;
    private final KafkaRaftServer server;
    private final String bootstrapServers;

    private final int[] ports;

    private EmbeddedKafkaBroker(Path logDir, KafkaRaftServer server, int[] ports) {
        this.logDir = logDir;
        this.server = server;
        this.ports = ports;
        this.bootstrapServers = "127.0.0.1:" + ports[0];
    }

    /**
     * Starts a broker whose log lives in {@code logDir}, formatting it only the first time, on the given broker and
     * controller ports, or on free ones when {@code ports} is null.
     */
    public static EmbeddedKafkaBroker start(Path logDir, int[] ports) {
        return start(logDir, ports, "PLAINTEXT", Map.of());
    }

    /**
     * Starts a broker whose clients must authenticate with SASL PLAIN as one of {@code users} (name → password):
     * a secured cluster to test against. The controller listener stays inside this JVM's loopback.
     */
    public static EmbeddedKafkaBroker startWithSaslPlain(Path logDir, Map<String, String> users) {
        if (users.isEmpty()) {
            throw new IllegalArgumentException("a SASL broker needs at least one user");
        }
        Map.Entry<String, String> self = users.entrySet().iterator().next();
        StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required")
                .append(" username=\"").append(self.getKey()).append("\" password=\"").append(self.getValue())
                .append('"');
        users.forEach((user, password) -> jaas.append(" user_").append(user).append("=\"").append(password)
                .append('"'));
        return start(logDir, null, "SASL_PLAINTEXT", Map.of(
                "sasl.enabled.mechanisms", "PLAIN",
                "sasl.mechanism.inter.broker.protocol", "PLAIN",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config", jaas.append(';').toString()));
    }

    private static EmbeddedKafkaBroker start(Path logDir, int[] ports, String protocol, Map<String, Object> extra) {
        long started = System.nanoTime();
        int brokerPort = ports == null ? freePort() : ports[0];
        int controllerPort = ports == null ? freePort() : ports[1];
        Map<String, Object> props = new HashMap<>(extra);
        props.put("process.roles", "broker,controller");
        props.put("node.id", String.valueOf(NODE_ID));
        props.put("listeners", protocol + "://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", protocol + "://127.0.0.1:" + brokerPort);
        props.put("listener.security.protocol.map", protocol + ":" + protocol + ",CONTROLLER:PLAINTEXT");
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", protocol);
        props.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        props.put("log.dirs", logDir.toAbsolutePath().toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "3");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("num.partitions", "3");
        props.put("auto.create.topics.enable", "true");
        KafkaConfig config = new KafkaConfig(props, false);
        formatOnce(logDir);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(logDir, server, new int[] { brokerPort, controllerPort });
        LOG.infof("Embedded Kafka broker started on %s in %d ms, log in %s", broker.bootstrapServers,
                (System.nanoTime() - started) / 1_000_000, logDir);
        return broker;
    }

    /** The broker and controller ports, to start it again where its clients look for it. */
    public int[] ports() {
        return ports.clone();
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Path logDir() {
        return logDir;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        LOG.infof("Embedded Kafka broker on %s stopped", bootstrapServers);
    }

    /** A formatted log already holds events: formatting it again would lose them. */
    private static void formatOnce(Path logDir) {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return;
        }
        try {
            Files.createDirectories(logDir);
            Formatter formatter = new Formatter()
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setControllerListenerName("CONTROLLER")
                    .setMetadataLogDirectory(logDir.toAbsolutePath().toString())
                    .setDirectories(List.of(logDir.toAbsolutePath().toString()))
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            formatter.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot format the embedded Kafka log in " + logDir, e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free loopback port for the embedded Kafka broker", e);
        }
    }
}
