package org.gitopsrelay.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.gitopsrelay.pipeline.RelayException;
import org.gitopsrelay.pipeline.RelayException.Reason;
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
}
