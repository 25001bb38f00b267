import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Load harness: sends signed GitHub webhooks to a running gitops-relay and measures, per delivery, the webhook's
 * latency (request to 202) and delivery-to-commit latency (request to the event naming its event id on
 * relay.deployments, read from Kafka). Under load the relay deploys only the newest of the pushes to one environment
 * waiting in a batch (the others are superseded): a push counts as landed when its own commit, or that of a later
 * push of the same app, is announced; the run ends when every app holds its last push. KIND is {@code push} (pushes to main of apps app-1..app-APPS, answered by
 * relay.deployment.committed) or {@code pull_request} (pull requests opened on app-1, numbered from FIRST, answered
 * by relay.preview.created). Run by bench/run.sh and bench/previews.sh, with the service's jars on the classpath.
 *
 * usage: java -cp 'target/quarkus-app/lib/main/*' bench/PushLoad.java URL SECRET BOOTSTRAP APPS COUNT CONCURRENCY
 *        [KIND [FIRST]]
 */
public class PushLoad {

    private static final Pattern EVENT_ID = Pattern.compile("\"events\":\\[\"([0-9a-f-]{36})\"");
    private static final Pattern TRIGGER = Pattern.compile("\"triggerEvent\":\"([0-9a-f-]{36})\"");
    private static final Pattern STEP = Pattern.compile("\"(fetch|render|commit|push|total)Millis\":(\\d+)");

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String secret = args[1];
        String bootstrap = args[2];
        int apps = Integer.parseInt(args[3]);
        int pushes = Integer.parseInt(args[4]);
        int concurrency = Integer.parseInt(args[5]);
        boolean pullRequests = args.length > 6 && args[6].equals("pull_request");
        int first = args.length > 7 ? Integer.parseInt(args[7]) : 1;
        String answer = pullRequests ? "\"relay.preview.created\"" : "\"relay.deployment.committed\"";

        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        Map<String, Long> committedAt = new ConcurrentHashMap<>();
        // The service's own account of each deployment: where its time went (fetch, render, commit, push, total).
        Map<String, List<Long>> stepMillis = new ConcurrentHashMap<>();
        List<Long> webhookNanos = Collections.synchronizedList(new ArrayList<>());
        AtomicLong failures = new AtomicLong();

        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
                "group.id", "bench-" + UUID.randomUUID(), "enable.auto.commit", "false"),
                new StringDeserializer(), new StringDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor("relay.deployments").stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        java.util.concurrent.atomic.AtomicBoolean reading = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread reader = new Thread(() -> {
            while (reading.get()) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.nanoTime();
                    if (record.value().contains(answer)) {
                        Matcher m = TRIGGER.matcher(record.value());
                        if (m.find()) {
                            committedAt.putIfAbsent(m.group(1), now);
                        }
                        Matcher step = STEP.matcher(record.value());
                        while (step.find()) {
                            stepMillis.computeIfAbsent(step.group(1), key -> Collections.synchronizedList(
                                    new ArrayList<>())).add(Long.parseLong(step.group(2)) * 1_000_000);
                        }
                    }
                }
            }
            consumer.close();
        });
        reader.start();

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        // Pushes to one branch happen one after the other, each moving on from the last (as on GitHub); different
        // apps' pushes overlap.
        Map<String, Object> appLocks = new ConcurrentHashMap<>();
        Map<String, String> lastPushed = new ConcurrentHashMap<>();
        // Event ids per app, in the order sent (sends of one app are serialised by its lock).
        Map<String, List<String>> sentByApp = new ConcurrentHashMap<>();
        long started = System.nanoTime();
        for (int i = 0; i < pushes; i++) {
            int n = i;
            pool.submit(() -> {
                String app = "app-" + (n % apps + 1);
                synchronized (appLocks.computeIfAbsent(app, key -> new Object())) {
                    // Pushed "now", as GitHub stamps it: pushes of one app sent in the same second tie, never reorder.
                    long now = System.currentTimeMillis() / 1000;
                    String sha = sha();
                    String before = lastPushed.getOrDefault(app, "0000000000000000000000000000000000000001");
                    byte[] body = (pullRequests ? pullRequest(first + n, sha, now) : push(app, before, sha, now))
                            .getBytes(StandardCharsets.UTF_8);
                    HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/webhooks/github"))
                            .header("Content-Type", "application/json")
                            .header("X-GitHub-Event", pullRequests ? "pull_request" : "push")
                            .header("X-GitHub-Delivery", UUID.randomUUID().toString())
                            .header("X-Hub-Signature-256", "sha256=" + hmac(secret, body))
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                        long t1 = System.nanoTime();
                        Matcher m = EVENT_ID.matcher(response.body());
                        if (response.statusCode() != 202 || !m.find()) {
                            failures.incrementAndGet();
                            System.err.println("push " + n + ": " + response.statusCode() + " " + response.body());
                            return;
                        }
                        webhookNanos.add(t1 - t0);
                        sentAt.put(m.group(1), t0);
                        sentByApp.computeIfAbsent(app, key -> new ArrayList<>()).add(m.group(1));
                        lastPushed.put(app, sha);
                        if (concurrency == 1) {
                            awaitCommit(committedAt, m.group(1), Duration.ofSeconds(30));
                        }
                    } catch (Exception e) {
                        failures.incrementAndGet();
                        System.err.println("push " + n + ": " + e);
                    }
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(30, TimeUnit.MINUTES);
        double acceptedSeconds = (System.nanoTime() - started) / 1e9;
        long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
        List<String> lastOfEachApp = sentByApp.values().stream().map(ids -> ids.get(ids.size() - 1)).toList();
        while (!committedAt.keySet().containsAll(pullRequests ? sentAt.keySet() : lastOfEachApp)
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        reading.set(false);
        reader.join();

        // When each push landed: the first announced commit of it or of a later push of its app.
        Map<String, Long> landedAt = new java.util.HashMap<>();
        if (pullRequests) {
            landedAt.putAll(committedAt);
        } else {
            for (List<String> ids : sentByApp.values()) {
                Long earliest = null;
                for (int k = ids.size() - 1; k >= 0; k--) {
                    Long own = committedAt.get(ids.get(k));
                    earliest = own == null ? earliest : earliest == null ? own : Math.min(own, earliest);
                    if (earliest != null) {
                        landedAt.put(ids.get(k), earliest);
                    }
                }
            }
        }
        List<Long> commitNanos = new ArrayList<>();
        long lastCommit = started;
        for (Map.Entry<String, Long> sent : sentAt.entrySet()) {
            Long committed = landedAt.get(sent.getKey());
            if (committed != null) {
                commitNanos.add(committed - sent.getValue());
                lastCommit = Math.max(lastCommit, committed);
            }
        }
        long ownCommits = sentAt.keySet().stream().filter(committedAt::containsKey).count();
        double seconds = (lastCommit - started) / 1e9;
        System.out.printf(Locale.ROOT,
                "%s=%d apps=%d concurrency=%d accepted=%d landed=%d (own commit %d, superseded %d) failed=%d%n",
                pullRequests ? "pull_requests" : "pushes", pushes, apps, concurrency, sentAt.size(), commitNanos.size(),
                ownCommits, commitNanos.size() - ownCommits, failures.get());
        System.out.printf(Locale.ROOT, "webhook 202 latency ms: p50=%.1f p99=%.1f max=%.1f%n", pct(webhookNanos, 50),
                pct(webhookNanos, 99), pct(webhookNanos, 100));
        System.out.printf(Locale.ROOT, "webhook->commit latency ms: p50=%.1f p99=%.1f max=%.1f%n", pct(commitNanos, 50),
                pct(commitNanos, 99), pct(commitNanos, 100));
        if (!stepMillis.isEmpty()) {
            StringBuilder steps = new StringBuilder("inside the service, p50 ms:");
            for (String step : List.of("fetch", "render", "commit", "push", "total")) {
                steps.append(String.format(Locale.ROOT, " %s=%.1f", step,
                        pct(stepMillis.getOrDefault(step, List.of()), 50)));
            }
            System.out.println(steps);
        }
        System.out.printf(Locale.ROOT, "throughput: %.1f events per second landed (%.1f s from first delivery to last commit;"
                + " the senders took %.1f s to deliver them all)%n", commitNanos.size() / seconds, seconds, acceptedSeconds);
        System.exit(failures.get() == 0 && commitNanos.size() == pushes ? 0 : 1);
    }

    private static void awaitCommit(Map<String, Long> committedAt, String id, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!committedAt.containsKey(id) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    private static double pct(List<Long> nanos, int percentile) {
        if (nanos.isEmpty()) {
            return Double.NaN;
        }
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index))) / 1e6;
    }

    private static String sha() {
        byte[] bytes = new byte[20];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static String hmac(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pullRequest(int number, String sha, long updatedAt) {
        return """
                {"action":"opened","number":%1$d,
                 "pull_request":{"number":%1$d,"title":"bench","user":{"login":"bench"},"merged":false,
                   "html_url":"https://github.com/bench/app-1/pull/%1$d","updated_at":"%3$s",
                   "head":{"ref":"feature/bench-%1$d","sha":"%2$s","repo":{"full_name":"bench/app-1"}},
                   "base":{"ref":"main","sha":"%2$s","repo":{"full_name":"bench/app-1"}}},
                 "repository":{"name":"app-1","full_name":"bench/app-1","html_url":"https://github.com/bench/app-1"},
                 "sender":{"login":"bench"}}
                """.formatted(number, sha, java.time.Instant.ofEpochSecond(updatedAt));
    }

    private static String push(String app, String before, String sha, long pushedAt) {
        return """
                {"ref":"refs/heads/main","before":"%4$s","after":"%2$s",
                 "created":false,"deleted":false,"forced":false,
                 "commits":[{"id":"%2$s","message":"bench","timestamp":"2026-11-23T10:00:00Z",
                   "author":{"name":"Bench","email":"bench@example.org"}}],
                 "head_commit":{"id":"%2$s","message":"bench","timestamp":"2026-11-23T10:00:00Z",
                   "author":{"name":"Bench","email":"bench@example.org"}},
                 "repository":{"name":"%1$s","full_name":"bench/%1$s","html_url":"https://github.com/bench/%1$s",
                   "default_branch":"main","pushed_at":%3$d},
                 "pusher":{"name":"bench","email":"bench@example.org"},"sender":{"login":"bench"}}
                """.formatted(app, sha, pushedAt, before);
    }
}
