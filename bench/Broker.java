import java.nio.file.Path;

import org.gitopsrelay.kafka.EmbeddedKafkaBroker;

/**
 * A Kafka broker (KRaft, the same one the service embeds) in a process of its own, for benchmarks that measure the
 * service alone: prints its bootstrap address, then runs until killed.
 *
 * usage: java -cp 'target/quarkus-app/lib/main/*:target/quarkus-app/lib/boot/*:target/quarkus-app/app/*' bench/Broker.java LOG_DIR
 */
public class Broker {
    public static void main(String[] args) throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(Path.of(args[0]), null);
        System.out.println("Broker started on " + broker.bootstrapServers());
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close));
        Thread.currentThread().join();
    }
}
