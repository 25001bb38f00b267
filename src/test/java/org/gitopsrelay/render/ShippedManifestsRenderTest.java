package org.gitopsrelay.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Everything the project ships as Kustomize (kustomize-base/ and deploy/) renders with the real Kustomize. */
class ShippedManifestsRenderTest {

    @TempDir
    static Path tmp;

    static List<Path> kustomizations() throws IOException {
        try (Stream<Path> files = Stream.concat(Files.walk(Path.of("kustomize-base")), Files.walk(Path.of("deploy")))) {
            return files.filter(file -> file.getFileName().toString().equals("kustomization.yaml"))
                    .filter(file -> !isComponent(file)).map(Path::getParent).sorted().toList();
        }
    }

    /** A Component is rendered only as part of an overlay (kustomize-base/previews/example uses the preview one). */
    private static boolean isComponent(Path kustomization) {
        try {
            return Files.readString(kustomization).contains("kind: Component");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void renders(Path dir) {
        String output = new KustomizeRenderer(TestConfig.relay(tmp), new SimpleMeterRegistry()).render(dir);
        assertThat(output).contains("kind: ");
        if (dir.startsWith(Path.of("kustomize-base", "envs"))) {
            assertThat(output).contains("kind: Deployment", "kind: Service", "kind: Ingress",
                    "kind: HorizontalPodAutoscaler", "kind: PodDisruptionBudget", "runAsNonRoot: true",
                    "readinessProbe:", "livenessProbe:", "limits:", "namespace: app-");
        }
        if (dir.equals(Path.of("kustomize-base", "previews", "example"))) {
            assertThat(output).contains("kind: Namespace\nmetadata:\n  labels:", "name: app-pr-42\n",
                    "pod-security.kubernetes.io/enforce: restricted");
            assertThat(output).contains("kind: Deployment", "kind: ResourceQuota", "kind: LimitRange", "replicas: 1",
                    "host: pr-42.app.preview.example.org").doesNotContain("kind: HorizontalPodAutoscaler",
                            "kind: PodDisruptionBudget");
        }
        if (dir.equals(Path.of("kustomize-base", "previews", "example-with-database"))) {
            assertThat(output).contains("kind: StatefulSet", "kind: Job", "name: wait-for-database",
                    "value: postgresql://app@db:5432/app", "kind: NetworkPolicy", "seed-preview-db.sh");
        }
        if (dir.equals(Path.of("deploy", "argocd"))) {
            assertThat(output).contains("kind: ApplicationSet", "path: apps/*/envs/*", "path: apps/*/previews/*",
                    "prune: true", "CreateNamespace=true", "resources-finalizer.argocd.argoproj.io",
                    "preserveResourcesOnDeletion: false");
        }
    }
}
