package org.gitopsrelay.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.gitopsrelay.preview.PreviewPolicy;
import org.gitopsrelay.render.KustomizeRenderer;
import org.gitopsrelay.testing.RenderedManifests;
import org.gitopsrelay.testing.TestApps;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The backup component, added to the shipped production overlay as an app's team would, renders with the real
 * Kustomize into a CronJob that runs public images only, as a non-root user on a read-only root file system, with
 * its credentials referenced from Secrets that nothing in the repository carries.
 */
class BackupComponentRenderTest {

    private static final Set<String> PUBLIC_IMAGES = Set.of("postgres:15-alpine", "curlimages/curl:8.11.1");

    @TempDir
    Path tmp;

    private RenderedManifests productionWithBackups() throws Exception {
        Path copy = Files.createDirectories(tmp.resolve("kustomize-base"));
        TestApps.copy(Path.of("kustomize-base"), copy);
        Path overlay = copy.resolve("envs/production/kustomization.yaml");
        Files.writeString(overlay, Files.readString(overlay) + "components:\n  - ../../components/backup\n");
        return RenderedManifests.of(copy.resolve("envs/production"), tmp);
    }

    private static List<JsonNode> containers(JsonNode podSpec) {
        List<JsonNode> containers = new ArrayList<>();
        podSpec.path("initContainers").forEach(containers::add);
        podSpec.path("containers").forEach(containers::add);
        return containers;
    }

    @Test
    void anOverlayWithTheComponentRendersABackupCronJobOfPublicImagesOnly() throws Exception {
        RenderedManifests rendered = productionWithBackups();

        JsonNode cronJob = rendered.one("CronJob", "db-backup");
        assertThat(cronJob.path("metadata").path("namespace").asText()).isEqualTo("app-production");
        JsonNode spec = cronJob.path("spec");
        assertThat(spec.path("concurrencyPolicy").asText()).isEqualTo("Forbid");
        assertThat(spec.path("schedule").asText()).isNotBlank();
        JsonNode pod = spec.path("jobTemplate").path("spec").path("template").path("spec");
        assertThat(pod.path("automountServiceAccountToken").asBoolean(true)).isFalse();
        assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
        List<JsonNode> containers = containers(pod);
        assertThat(containers).extracting(container -> container.path("name").asText())
                .containsExactly("dump", "upload");
        for (JsonNode container : containers) {
            String name = container.path("name").asText();
            assertThat(container.path("image").asText()).as(name).isIn(PUBLIC_IMAGES);
            assertThat(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).as(name).isTrue();
            assertThat(container.path("securityContext").path("allowPrivilegeEscalation").asBoolean(true)).as(name)
                    .isFalse();
            assertThat(container.path("resources").path("limits").path("memory").asText()).as(name).isNotBlank();
            assertThat(container.path("resources").path("requests").path("cpu").asText()).as(name).isNotBlank();
        }
        assertThat(containers.get(0).path("image").asText()).isEqualTo("postgres:15-alpine");
        assertThat(containers.get(1).path("image").asText()).startsWith("curlimages/curl:");

        // The scripts and settings are generated ConfigMaps, referenced by their hashed names.
        List<String> configMaps = rendered.ofKind("ConfigMap").stream().map(RenderedManifests::name).toList();
        String scripts = pod.path("volumes").findValues("configMap").get(0).path("name").asText();
        assertThat(configMaps).contains(scripts);
        assertThat(scripts).startsWith("db-backup-scripts-");
        JsonNode scriptData = rendered.one("ConfigMap", scripts).path("data");
        assertThat(scriptData.fieldNames()).toIterable().containsExactlyInAnyOrder("backup-lib.sh", "db-dump.sh",
                "db-upload.sh", "db-fetch-latest.sh");
        assertThat(scriptData.path("db-upload.sh").asText())
                .isEqualTo(Files.readString(Path.of("kustomize-base/components/backup/scripts/db-upload.sh")));

        // Credentials only by reference: no Secret is rendered, the containers name the Secrets they read.
        assertThat(rendered.ofKind("Secret")).isEmpty();
        assertThat(pod.findValues("secretKeyRef")).extracting(ref -> ref.path("name").asText())
                .containsOnly("db-backup-database", "db-backup-s3", "db-backup-report");
        assertThat(containers.get(0).toString()).contains("db-backup-database").doesNotContain("db-backup-s3");
        assertThat(containers.get(1).toString()).contains("db-backup-s3", "db-backup-report")
                .doesNotContain("db-backup-database");

        JsonNode policy = rendered.one("NetworkPolicy", "db-backup");
        assertThat(policy.path("spec").path("podSelector").path("matchLabels").path("app.kubernetes.io/component")
                .asText()).isEqualTo(spec.path("jobTemplate").path("spec").path("template").path("metadata")
                        .path("labels").path("app.kubernetes.io/component").asText());
    }

    @Test
    void aTrustedPreviewFetchesStagingsDumpWithReadOnlyCredentialsAndPublicImagesWhileAForkCannot() throws Exception {
        Path copy = Files.createDirectories(tmp.resolve("kustomize-base"));
        TestApps.copy(Path.of("kustomize-base"), copy);
        Path overlay = copy.resolve("previews/example-with-database/kustomization.yaml");
        String component = "  - ../../components/preview-database\n";
        Files.writeString(overlay, Files.readString(overlay).replace(component,
                component + "  - ../../components/preview-database-from-backups\n"));
        String output = new KustomizeRenderer(TestConfig.relay(tmp), new SimpleMeterRegistry())
                .render(overlay.getParent());
        RenderedManifests preview = RenderedManifests.of(overlay.getParent(), tmp);

        JsonNode pod = preview.one("Job", "db-seed").path("spec").path("template").path("spec");
        List<JsonNode> containers = containers(pod);
        assertThat(containers).extracting(container -> container.path("name").asText())
                .containsExactly("fetch", "seed");
        for (JsonNode container : containers) {
            assertThat(container.path("image").asText()).isIn(PUBLIC_IMAGES);
            assertThat(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
        }
        assertThat(containers.get(1).toString()).contains("\"mountPath\":\"/backups\"");
        assertThat(pod.findValues("secretKeyRef")).extracting(ref -> ref.path("name").asText())
                .containsOnly("db-backup-s3-readonly");
        assertThat(preview.ofKind("Secret")).isEmpty();
        assertThat(preview.ofKind("ConfigMap")).extracting(RenderedManifests::name)
                .anyMatch(name -> name.startsWith("db-backup-scripts-"));
        assertThat(preview.ofKind("CronJob")).as("a preview backs nothing up").isEmpty();

        assertThatCode(() -> PreviewPolicy.check(output, false)).doesNotThrowAnyException();
        assertThatThrownBy(() -> PreviewPolicy.check(output, true)).as("code from a fork gets no staging data")
                .hasMessageContaining("db-seed refers to a secret");
    }
}
