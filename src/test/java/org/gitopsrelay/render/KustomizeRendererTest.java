package org.gitopsrelay.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** The real Kustomize binary, run as a process. */
class KustomizeRendererTest {

    @TempDir
    Path tmp;

    private KustomizeRenderer renderer(String... keyValues) {
        return new KustomizeRenderer(TestConfig.relay(tmp.resolve("data"), keyValues), new SimpleMeterRegistry());
    }

    private Path overlay(String kustomization, String... files) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("overlay"));
        Files.writeString(dir.resolve("kustomization.yaml"), kustomization);
        for (int i = 0; i < files.length; i += 2) {
            Files.writeString(dir.resolve(files[i]), files[i + 1]);
        }
        return dir;
    }

    private static final String CONFIG_MAP = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {color: blue}
            """;

    @Test
    void rendersAValidOverlay() throws IOException {
        Path dir = overlay("resources: [cm.yaml]\nnamespace: shop-staging\n", "cm.yaml", CONFIG_MAP);

        assertThat(renderer().render(dir)).contains("namespace: shop-staging").contains("color: blue");
    }

    @Test
    void aBrokenOverlayFailsWithKustomizesOwnMessage() throws IOException {
        Path dir = overlay("resources: [missing.yaml]\n");

        assertThatThrownBy(() -> renderer().render(dir)).isInstanceOfSatisfying(RelayException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.RENDER_FAILED);
            assertThat(e.reason().retryable()).isFalse();
            assertThat(e.getMessage()).startsWith("Kustomize failed (exit 1): ").contains("missing.yaml");
        });
    }

    @Test
    void aPlaintextSecretIsRefused() throws IOException {
        Path dir = overlay("resources: [secret.yaml]\n", "secret.yaml", """
                apiVersion: v1
                kind: Secret
                metadata: {name: db}
                stringData: {password: hunter2}
                """);

        assertThatThrownBy(() -> renderer().render(dir))
                .hasMessage("The overlay renders a plaintext Secret 'db': use a SealedSecret or an ExternalSecret");
    }

    @Test
    void theCommandIsConfigurableAndAMissingOneIsAClearError() throws IOException {
        Path dir = overlay("resources: [cm.yaml]\n", "cm.yaml", CONFIG_MAP);
        assertThat(renderer("relay.render.command", "kubectl kustomize").render(dir)).contains("name: settings");

        assertThatThrownBy(() -> renderer("relay.render.command", "no-such-kustomize build").render(dir))
                .isInstanceOfSatisfying(RelayException.class, e -> {
                    // The machine is at fault, not the overlay: retried, then dead-lettered, never reported as bad.
                    assertThat(e.reason()).isEqualTo(Reason.RENDER_UNAVAILABLE);
                    assertThat(e.reason().retryable()).isTrue();
                    assertThat(e.getMessage()).startsWith("Cannot run no-such-kustomize build");
                });
    }

    @Test
    void choosesKustomizeOnThePathElseKubectl() {
        boolean standalone = System.getenv("PATH") != null && java.util.Arrays.stream(System.getenv("PATH").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, "kustomize")));
        assertThat(renderer().command()).isEqualTo(standalone ? java.util.List.of("kustomize", "build")
                : java.util.List.of("kubectl", "kustomize"));
    }

    @Test
    void aRenderThatHangsIsStoppedAtTheTimeout() throws IOException {
        Path dir = overlay("resources: []\n");
        Path slow = Files.writeString(tmp.resolve("slow.sh"), "#!/bin/sh\nsleep 30\n");
        slow.toFile().setExecutable(true);

        assertThatThrownBy(() -> renderer("relay.render.command", slow.toString(), "relay.render.timeout", "PT0.5S")
                .render(dir)).isInstanceOfSatisfying(RelayException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.RENDER_UNAVAILABLE);
                    assertThat(e.getMessage()).isEqualTo("Kustomize did not finish within 500 ms");
                });
    }

    @Test
    void aRemoteResourceIsRefusedBeforeAnyRequestLeaves() throws Exception {
        java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            byte[] body = CONFIG_MAP.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/cm.yaml";
            Path dir = overlay("resources:\n  - " + url + "\n  - github.com/example/manifests//base?ref=v1\n"
                    + "components: ['git::https://example.org/repo.git//c']\n");

            assertThatThrownBy(() -> renderer().render(dir)).isInstanceOfSatisfying(RelayException.class, e -> {
                assertThat(e.reason()).isEqualTo(Reason.RENDER_FAILED);
                assertThat(e.getMessage()).contains("renders from the GitOps repository alone",
                        "kustomization.yaml: resources '" + url + "'",
                        "resources 'github.com/example/manifests//base?ref=v1'",
                        "components 'git::https://example.org/repo.git//c'");
            });
            assertThat(requests).as("requests that left the service").hasValue(0);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void localPathsAreNotMistakenForRemoteOnes() {
        assertThat(RemoteReferences.isRemote("../../base")).isFalse();
        assertThat(RemoteReferences.isRemote("deployment.yaml")).isFalse();
        assertThat(RemoteReferences.isRemote("components/preview")).isFalse();
        assertThat(RemoteReferences.isRemote("git@github.com:org/repo.git")).isTrue();
        assertThat(RemoteReferences.isRemote("gitlab.example.org:8443/group/repo")).isTrue();
    }

    private Path script(String name, String body) throws IOException {
        Path file = tmp.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body);
        file.toFile().setExecutable(true);
        return file;
    }

    @Test
    void kustomizeInheritsNoneOfTheServicesEnvironment() throws IOException {
        Path envFile = tmp.resolve("env.txt");
        Path command = script("env-then-render.sh", "env > " + envFile + "\nexec kubectl kustomize \"$1\"\n");
        Path dir = overlay("resources: [cm.yaml]\n", "cm.yaml", CONFIG_MAP);

        renderer("relay.render.command", command.toString()).render(dir);

        java.util.Set<String> names = Files.readAllLines(envFile).stream().map(line -> line.split("=", 2)[0])
                .collect(java.util.stream.Collectors.toSet());
        java.util.Set<String> allowed = java.util.Set.of("PATH", "HOME", "PWD", "SHLVL", "_", "OLDPWD");
        assertThat(System.getenv().keySet()).as("the test's own environment has more").anyMatch(name -> !allowed
                .contains(name));
        assertThat(names).isSubsetOf(allowed);
    }

    @Test
    void anOutputPastTheCapIsRefused() throws IOException {
        Path command = script("flood.sh", "head -c 300000 /dev/zero | tr '\\0' 'a'\n");
        Path dir = overlay("resources: []\n");

        assertThatThrownBy(() -> renderer("relay.render.command", command.toString(), "relay.render.max-output-bytes",
                "100000").render(dir)).isInstanceOfSatisfying(RelayException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.RENDER_FAILED);
                    assertThat(e.getMessage()).isEqualTo("The overlay renders more than 100000 bytes"
                            + " (relay.render.max-output-bytes)");
                });
    }

    @Test
    void aRenderPastItsTimeLimitIsKilledWithEveryProcessItStarted() throws Exception {
        Path pidFile = tmp.resolve("child.pid");
        Path command = script("hang.sh", "sleep 120 &\necho $! > " + pidFile + "\nwait\n");
        Path dir = overlay("resources: []\n");

        assertThatThrownBy(() -> renderer("relay.render.command", command.toString(), "relay.render.timeout",
                "PT2S").render(dir)).isInstanceOfSatisfying(RelayException.class,
                        e -> assertThat(e.getMessage()).startsWith("Kustomize did not finish within 2000 ms"));
        long child = Long.parseLong(Files.readString(pidFile).trim());
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true));
    }
}
