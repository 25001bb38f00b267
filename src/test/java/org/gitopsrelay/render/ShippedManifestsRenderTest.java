package org.gitopsrelay.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
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

import org.gitopsrelay.preview.PreviewPolicy;
import org.gitopsrelay.testing.NetworkPolicies;
import org.gitopsrelay.testing.NetworkPolicies.Peer;
import org.gitopsrelay.testing.RenderedManifests;
import org.gitopsrelay.testing.TestApps;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

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

    /** The ingress controller's pods, in the namespace the shipped policies name by default. */
    private static final Peer INGRESS_CONTROLLER = Peer.pod("ingress-nginx",
            Map.of("app.kubernetes.io/name", "ingress-nginx", "app.kubernetes.io/component", "controller"));
    private static final Peer PROMETHEUS = Peer.pod("monitoring", Map.of("app.kubernetes.io/name", "prometheus"));
    private static final Peer KUBE_DNS = Peer.pod("kube-system", Map.of("k8s-app", "kube-dns"));
    private static final Peer CLOUD_METADATA = Peer.address("169.254.169.254");
    private static final Peer INTERNET = Peer.address("203.0.113.10");
    private static final Peer STAGING_WEB = Peer.pod("app-staging", Map.of("app.kubernetes.io/component", "web"));
    private static final Peer STAGING_DATABASE = Peer.pod("app-staging",
            Map.of("app.kubernetes.io/component", "database"));
    private static final Peer OTHER_PREVIEW_WEB = Peer.pod("app-pr-7", Map.of("app.kubernetes.io/component", "web"));

    @ParameterizedTest
    @ValueSource(strings = { "example", "example-with-database" })
    void everyPodOfAPreviewIsIsolatedForIngressAndEgress(String example) {
        RenderedManifests preview = RenderedManifests.of(Path.of("kustomize-base", "previews", example), tmp);
        NetworkPolicies policies = NetworkPolicies.of(preview.ofKind("NetworkPolicy"));
        List<Peer> pods = new java.util.ArrayList<>(podsOf(preview).values());
        pods.add(Peer.pod(namespaceOf(preview), Map.of("app.kubernetes.io/component", "debug")));

        for (Peer pod : pods) {
            assertThat(policies.isolates(pod, "Ingress")).as("ingress of %s isolated", pod).isTrue();
            assertThat(policies.isolates(pod, "Egress")).as("egress of %s isolated", pod).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "example", "example-with-database" })
    void aPreviewsPodsReachDnsAndTheirOwnDatabaseOnly(String example) {
        RenderedManifests preview = RenderedManifests.of(Path.of("kustomize-base", "previews", example), tmp);
        NetworkPolicies policies = NetworkPolicies.of(preview.ofKind("NetworkPolicy"));
        Map<String, Peer> pods = podsOf(preview);

        for (Peer pod : pods.values()) {
            assertThat(policies.lets(pod, KUBE_DNS, 53, "UDP")).as("%s resolves names over UDP", pod).isTrue();
            assertThat(policies.lets(pod, KUBE_DNS, 53, "TCP")).as("%s resolves names over TCP", pod).isTrue();
            assertThat(policies.lets(pod, CLOUD_METADATA, 80, "TCP")).as("%s reaches the cloud's metadata", pod)
                    .isFalse();
            assertThat(policies.lets(pod, Peer.address("169.254.20.10"), 53, "UDP")).as("%s reaches link-local", pod)
                    .isFalse();
            assertThat(policies.lets(pod, INTERNET, 443, "TCP")).as("%s reaches the internet", pod).isFalse();
            assertThat(policies.lets(pod, STAGING_DATABASE, 5432, "TCP")).as("%s reaches staging's database", pod)
                    .isFalse();
            assertThat(policies.lets(pod, STAGING_WEB, 8080, "TCP")).as("%s reaches another namespace", pod).isFalse();
            assertThat(policies.lets(pod, INGRESS_CONTROLLER, 443, "TCP")).as("%s reaches the ingress controller", pod)
                    .isFalse();
            assertThat(policies.lets(pod, KUBE_DNS, 8080, "TCP")).as("%s reaches kube-dns beyond DNS", pod).isFalse();
        }
        if (pods.containsKey("StatefulSet/db")) {
            Peer database = pods.get("StatefulSet/db");
            assertThat(policies.lets(pods.get("Deployment/web"), database, 5432, "TCP")).isTrue();
            assertThat(policies.lets(pods.get("Job/db-seed"), database, 5432, "TCP")).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "example", "example-with-database" })
    void aPreviewIsReachedOnlyThroughTheIngressControllerAndItsDatabaseOnlyByItsOwnWebAndSeedPods(String example) {
        RenderedManifests preview = RenderedManifests.of(Path.of("kustomize-base", "previews", example), tmp);
        NetworkPolicies policies = NetworkPolicies.of(preview.ofKind("NetworkPolicy"));
        Map<String, Peer> pods = podsOf(preview);
        Peer web = pods.get("Deployment/web");
        Peer stranger = Peer.pod(namespaceOf(preview), Map.of("app.kubernetes.io/component", "debug"));

        assertThat(policies.admits(web, INGRESS_CONTROLLER, 8080, "TCP")).isTrue();
        for (Peer from : List.of(STAGING_WEB, OTHER_PREVIEW_WEB, PROMETHEUS, CLOUD_METADATA, INTERNET, stranger)) {
            assertThat(policies.admits(web, from, 8080, "TCP")).as("web admits %s", from).isFalse();
        }
        if (pods.containsKey("StatefulSet/db")) {
            Peer database = pods.get("StatefulSet/db");
            assertThat(policies.admits(database, web, 5432, "TCP")).isTrue();
            assertThat(policies.admits(database, pods.get("Job/db-seed"), 5432, "TCP")).isTrue();
            for (Peer from : List.of(INGRESS_CONTROLLER, STAGING_WEB, OTHER_PREVIEW_WEB, stranger)) {
                assertThat(policies.admits(database, from, 5432, "TCP")).as("database admits %s", from).isFalse();
            }
            assertThat(policies.admits(pods.get("Job/db-seed"), INGRESS_CONTROLLER, 8080, "TCP")).isFalse();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "automountServiceAccountToken: true", "serviceAccountName: default" })
    void aPreviewNeverMountsAServiceAccountTokenWhateverTheBaseSays(String baseSays) throws IOException {
        Path copy = Files.createTempDirectory(tmp, "kustomize-base");
        TestApps.copy(Path.of("kustomize-base"), copy);
        Path deployment = copy.resolve("base/deployment.yaml");
        String original = Files.readString(deployment);
        Files.writeString(deployment, original.replace("automountServiceAccountToken: false", baseSays));
        assertThat(Files.readString(deployment)).isNotEqualTo(original);

        for (String example : List.of("example", "example-with-database")) {
            RenderedManifests preview = RenderedManifests.of(copy.resolve("previews").resolve(example), tmp);
            List<JsonNode> templates = podTemplates(preview);
            assertThat(templates).isNotEmpty();
            for (JsonNode template : templates) {
                assertThat(template.path("spec").path("template").path("spec").path("automountServiceAccountToken")
                        .isBoolean()).as("%s of %s sets automountServiceAccountToken", name(template), example)
                        .isTrue();
                assertThat(template.path("spec").path("template").path("spec").path("automountServiceAccountToken")
                        .asBoolean()).as("automountServiceAccountToken of %s in %s", name(template), example)
                        .isFalse();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "example", "example-with-database" })
    void theShippedPreviewsPassThePolicyForCodeFromAFork(String example) {
        String output = new KustomizeRenderer(TestConfig.relay(tmp), new SimpleMeterRegistry())
                .render(Path.of("kustomize-base", "previews", example));

        assertThatCode(() -> PreviewPolicy.check(output, true)).doesNotThrowAnyException();
        assertThatCode(() -> PreviewPolicy.check(output, false)).doesNotThrowAnyException();
    }

    @Test
    void onlyTheIngressControllerReachesTheWebhooksAndApiAndOnlyPrometheusScrapesMetrics() {
        RenderedManifests deploy = RenderedManifests.of(Path.of("deploy"), tmp);
        NetworkPolicies policies = NetworkPolicies.of(deploy.ofKind("NetworkPolicy"));
        Peer ingest = Peer.pod("gitops-relay", podLabels(deploy.one("Deployment", "gitops-relay-ingest-handlers")));
        List<Peer> consumersOnly = List.of(
                Peer.pod("gitops-relay", podLabels(deploy.one("Deployment", "gitops-relay-monitor"))),
                Peer.pod("gitops-relay", podLabels(deploy.one("Deployment", "gitops-relay-notifier"))));
        Peer previewPod = Peer.pod("app-pr-42", Map.of("app.kubernetes.io/component", "web"));
        Peer sameNamespace = Peer.pod("gitops-relay", Map.of("app", "debug"));

        assertThat(policies.admits(ingest, INGRESS_CONTROLLER, 8080, "TCP")).isTrue();
        assertThat(policies.admits(ingest, PROMETHEUS, 8080, "TCP")).isTrue();
        for (Peer from : List.of(previewPod, STAGING_WEB, sameNamespace, INTERNET)) {
            assertThat(policies.admits(ingest, from, 8080, "TCP")).as("ingest pods admit %s", from).isFalse();
        }
        for (Peer consumer : consumersOnly) {
            assertThat(policies.admits(consumer, PROMETHEUS, 8080, "TCP")).as("%s scraped", consumer).isTrue();
            assertThat(policies.admits(consumer, INGRESS_CONTROLLER, 8080, "TCP")).as("%s takes requests", consumer)
                    .isFalse();
            assertThat(policies.admits(consumer, previewPod, 8080, "TCP")).isFalse();
        }
    }

    /** Every pod template of a rendered preview, by kind/name, as a pod of the preview's namespace. */
    private static Map<String, Peer> podsOf(RenderedManifests preview) {
        Map<String, Peer> pods = new LinkedHashMap<>();
        for (JsonNode template : podTemplates(preview)) {
            pods.put(template.path("kind").asText() + "/" + name(template), Peer.pod(
                    template.path("metadata").path("namespace").asText(), podLabels(template)));
        }
        return pods;
    }

    private static List<JsonNode> podTemplates(RenderedManifests preview) {
        return Stream.of("Deployment", "StatefulSet", "Job").flatMap(kind -> preview.ofKind(kind).stream()).toList();
    }

    private static String namespaceOf(RenderedManifests preview) {
        return name(preview.ofKind("Namespace").get(0));
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
