package org.gitopsrelay.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.RenderedManifests.labels;
import static org.gitopsrelay.testing.RenderedManifests.name;
import static org.gitopsrelay.testing.RenderedManifests.selects;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.gitopsrelay.testing.RenderedManifests;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

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

    @Test
    void theServiceRunsAsThreeRolesOfOneImageWhosePodsNoOtherRoleSelects() {
        RenderedManifests deploy = RenderedManifests.of(Path.of("deploy"), tmp);
        Map<String, String> roles = new LinkedHashMap<>();
        roles.put("gitops-relay-ingest-handlers", "ingest,handlers");
        roles.put("gitops-relay-monitor", "monitor");
        roles.put("gitops-relay-notifier", "notifier");

        assertThat(deploy.ofKind("Deployment")).extracting(RenderedManifests::name)
                .containsExactlyInAnyOrderElementsOf(roles.keySet());
        List<String> images = deploy.ofKind("Deployment").stream().map(ShippedManifestsRenderTest::relayContainer)
                .map(container -> container.path("image").asText()).distinct().toList();
        assertThat(images).hasSize(1);
        roles.forEach((deployment, relayRoles) -> {
            JsonNode container = relayContainer(deploy.one("Deployment", deployment));
            assertThat(env(container, "RELAY_ROLES")).as("RELAY_ROLES of %s", deployment).isEqualTo(relayRoles);
            assertThat(container.path("startupProbe").path("httpGet").path("path").asText()).as(deployment)
                    .isEqualTo("/q/health/started");
            assertThat(container.path("readinessProbe").path("httpGet").path("path").asText()).as(deployment)
                    .isEqualTo("/q/health/ready");
            assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).as(deployment)
                    .isEqualTo("/q/health/live");
            assertThat(container.path("resources").path("limits").path("memory").asText()).as(deployment)
                    .isNotBlank();
        });
        for (JsonNode deployment : deploy.ofKind("Deployment")) {
            Map<String, String> selector = labels(deployment.path("spec").path("selector").path("matchLabels"));
            for (JsonNode other : deploy.ofKind("Deployment")) {
                boolean own = other == deployment;
                assertThat(selects(selector, podLabels(other)))
                        .as("selector %s of %s on the pods of %s", selector, name(deployment), name(other))
                        .isEqualTo(own);
            }
        }
        assertThat(relayContainer(deploy.one("Deployment", "gitops-relay-monitor")).toString())
                .as("a role that takes no webhook gets no webhook secret").doesNotContain("RELAY_WEBHOOK_GITHUB_SECRET");
        assertThat(relayContainer(deploy.one("Deployment", "gitops-relay-ingest-handlers")).toString())
                .contains("RELAY_WEBHOOK_GITHUB_SECRET");
    }

    @Test
    void webhooksAndTheApiReachOnlyTheIngestPodsWhileEveryRoleIsScraped() {
        RenderedManifests deploy = RenderedManifests.of(Path.of("deploy"), tmp);
        Map<String, String> ingest = podLabels(deploy.one("Deployment", "gitops-relay-ingest-handlers"));
        List<Map<String, String>> consumersOnly = List.of(
                podLabels(deploy.one("Deployment", "gitops-relay-monitor")),
                podLabels(deploy.one("Deployment", "gitops-relay-notifier")));

        Map<String, String> service = labels(deploy.one("Service", "gitops-relay").path("spec").path("selector"));
        assertThat(selects(service, ingest)).as("Service gitops-relay on the ingest pods").isTrue();
        assertThat(consumersOnly).noneMatch(pod -> selects(service, pod));
        assertThat(deploy.one("Ingress", "gitops-relay").toString()).contains("\"name\":\"gitops-relay\"")
                .doesNotContain("gitops-relay-metrics");
        Map<String, String> pdb = labels(deploy.one("PodDisruptionBudget", "gitops-relay-ingest-handlers").path("spec")
                .path("selector").path("matchLabels"));
        assertThat(selects(pdb, ingest)).isTrue();
        assertThat(consumersOnly).noneMatch(pod -> selects(pdb, pod));

        JsonNode metrics = deploy.one("Service", "gitops-relay-metrics");
        Map<String, String> scraped = labels(metrics.path("spec").path("selector"));
        Map<String, String> policy = labels(deploy.one("NetworkPolicy", "gitops-relay").path("spec")
                .path("podSelector").path("matchLabels"));
        for (JsonNode deployment : deploy.ofKind("Deployment")) {
            assertThat(selects(scraped, podLabels(deployment))).as("metrics Service on %s", name(deployment)).isTrue();
            assertThat(selects(policy, podLabels(deployment))).as("NetworkPolicy on %s", name(deployment)).isTrue();
        }
        assertThat(metrics.path("spec").path("publishNotReadyAddresses").asBoolean())
                .as("a pod that is not ready is still scraped, so relay_readiness can say why").isTrue();
    }

    @Test
    void theServiceMonitorScrapesTheMetricsOfEveryRole() {
        RenderedManifests deploy = RenderedManifests.of(Path.of("deploy"), tmp);
        RenderedManifests monitoring = RenderedManifests.of(Path.of("deploy", "monitoring"), tmp);
        JsonNode monitor = monitoring.one("ServiceMonitor", "gitops-relay");
        JsonNode metrics = deploy.one("Service", "gitops-relay-metrics");

        assertThat(monitor.path("metadata").path("namespace").asText())
                .isEqualTo(metrics.path("metadata").path("namespace").asText());
        Map<String, String> selector = labels(monitor.path("spec").path("selector").path("matchLabels"));
        List<String> selected = deploy.ofKind("Service").stream()
                .filter(service -> selects(selector, labels(service.path("metadata").path("labels"))))
                .map(RenderedManifests::name).toList();
        assertThat(selected).containsExactly("gitops-relay-metrics");
        JsonNode endpoint = monitor.path("spec").path("endpoints").path(0);
        assertThat(endpoint.path("path").asText()).isEqualTo("/q/metrics");
        assertThat(endpoint.path("port").asText()).isEqualTo("http");
        assertThat(metrics.path("spec").path("ports").findValuesAsText("name")).contains("http");
        assertThat(monitoring.one("PrometheusRule", "gitops-relay").path("spec").path("groups")).isNotEmpty();
    }

    @Test
    void theDashboardShipsAsAConfigMapTheGrafanaSidecarLoads() throws IOException {
        RenderedManifests monitoring = RenderedManifests.of(Path.of("deploy", "monitoring"), tmp);

        JsonNode configMap = monitoring.one("ConfigMap", "gitops-relay-dashboard");

        assertThat(configMap.path("metadata").path("labels").path("grafana_dashboard").asText()).isEqualTo("1");
        assertThat(configMap.path("data").path("gitops-relay.json").asText())
                .isEqualTo(Files.readString(Path.of("deploy", "monitoring", "dashboards", "gitops-relay.json")));
    }

    private static Map<String, String> podLabels(JsonNode deployment) {
        return labels(deployment.path("spec").path("template").path("metadata").path("labels"));
    }

    private static JsonNode relayContainer(JsonNode deployment) {
        for (JsonNode container : deployment.path("spec").path("template").path("spec").path("containers")) {
            if ("relay".equals(container.path("name").asText())) {
                return container;
            }
        }
        throw new AssertionError("No container named relay in Deployment " + name(deployment));
    }

    private static String env(JsonNode container, String variable) {
        for (JsonNode entry : container.path("env")) {
            if (variable.equals(entry.path("name").asText())) {
                return entry.path("value").asText();
            }
        }
        return null;
    }
}
