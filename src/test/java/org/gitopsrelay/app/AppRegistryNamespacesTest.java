package org.gitopsrelay.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.GitCli.git;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.config.Roles;
import org.gitopsrelay.gitops.GitOpsRemote;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.shared.RelayMetrics;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;

/**
 * Who owns a namespace, as the registry decides it from real GitOps commits (JGit reading a real bare repository).
 * The process runs the monitor role only, so that it reports nothing on Kafka; the event is checked end to end in
 * {@code preview.NamespaceOwnershipTest}.
 */
class AppRegistryNamespacesTest {

    @TempDir
    Path tmp;

    private RelayConfig config;
    private GitOpsRepository repository;
    private SimpleMeterRegistry metrics;
    private AppRegistry registry;
    private Path clone;

    @BeforeEach
    void setUp() {
        Path remote = tmp.resolve("remote.git");
        git(tmp, "init", "--bare", "-b", "main", remote.toString());
        clone = tmp.resolve("clone");
        git(tmp, "clone", remote.toString(), clone.toString());
        config = TestConfig.relay(tmp.resolve("data"), "relay.gitops.url", remote.toUri().toString(), "relay.roles",
                "monitor");
        repository = new GitOpsRepository(config, new GitOpsRemote(config), new SimpleMeterRegistry(),
                OpenTelemetry.noop().getTracer("test"));
        registry = restart();
    }

    /** A registry as a process starting now has it: nothing known before the first load. */
    private AppRegistry restart() {
        metrics = new SimpleMeterRegistry();
        return new AppRegistry(metrics, null, new Roles(config));
    }

    private void app(String name, String... environments) {
        StringBuilder yaml = new StringBuilder("source: {repository: github.com/example/" + name + "}\n"
                + "image: {repository: registry.example.org/example/" + name + "}\nenvironments:\n");
        for (String env : environments) {
            yaml.append("  ").append(env).append(": {branch: ").append(env).append("}\n");
        }
        write("apps/" + name + "/app.yaml", yaml.toString());
    }

    private void livePreview(String app, String slug) {
        write("apps/" + app + "/previews/" + slug + "/kustomization.yaml", "namespace: " + app + "-" + slug + "\n");
    }

    private void write(String path, String content) {
        try {
            Path file = clone.resolve(path);
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Commits and pushes what was written, and has the registry read the new commit. */
    private void commitAndLoad(AppRegistry into, String message) {
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", message);
        git(clone, "push", "-q", "origin", "HEAD:main");
        into.refresh(repository::fetch);
    }

    private double invalidGauge(String app) {
        return metrics.get(RelayMetrics.APPS_INVALID).tag("app", app).gauge().value();
    }

    @Test
    void aNewAppWhoseNameSortsFirstDoesNotTakeTheNamespaceOfTheAppThatHasIt() {
        app("shop-eu", "prod");
        commitAndLoad(registry, "Onboard shop-eu");

        // shop's environment eu-prod would run in shop-eu-prod, and shop comes before shop-eu by name.
        app("shop", "eu-prod");
        commitAndLoad(registry, "Onboard shop");

        assertThat(registry.app("shop-eu")).isPresent();
        assertThat(registry.app("shop")).isEmpty();
        assertThat(registry.invalidApps()).containsEntry("shop", "apps/shop/app.yaml: environment eu-prod would run"
                + " in namespace shop-eu-prod, which belongs to app shop-eu");
        assertThat(invalidGauge("shop")).isEqualTo(1.0);
    }

    @Test
    void aRestartKeepsAContestedNamespaceWithTheAppWhoseOverlayCameFirstNotTheFirstByName() {
        app("shop-eu", "prod");
        write("apps/shop-eu/envs/prod/kustomization.yaml", "resources: []\n");
        commitAndLoad(registry, "Onboard shop-eu");
        app("shop", "eu-prod");
        write("apps/shop/envs/eu-prod/kustomization.yaml", "resources: []\n");
        commitAndLoad(registry, "Onboard shop, whose eu-prod would run in shop-eu-prod");

        AppRegistry restarted = restart();
        restarted.refresh(repository::current);

        assertThat(restarted.app("shop-eu")).isPresent();
        assertThat(restarted.app("shop")).isEmpty();
        assertThat(restarted.invalidApps()).containsEntry("shop", "apps/shop/app.yaml: environment eu-prod would run"
                + " in namespace shop-eu-prod, which belongs to app shop-eu");
    }

    @Test
    void aNamespaceItsHolderGaveUpGoesToTheClaimantWhoseOverlayCameFirstNotTheFirstByName() {
        app("a-b-c", "d");
        write("apps/a-b-c/envs/d/kustomization.yaml", "resources: []\n");
        app("a-b", "x");
        write("apps/a-b/envs/c-d/kustomization.yaml", "resources: []\n");
        commitAndLoad(registry, "a-b-c runs in a-b-c-d; a-b prepares its c-d overlay");

        // a-b-c gives the namespace up; a-b and a (first by name) both claim it in the same commit.
        app("a-b-c", "e");
        app("a-b", "x", "c-d");
        app("a", "b-c-d");
        write("apps/a/envs/b-c-d/kustomization.yaml", "resources: []\n");
        commitAndLoad(registry, "a-b and a claim a-b-c-d");

        assertThat(registry.app("a-b")).isPresent();
        assertThat(registry.app("a")).isEmpty();
        assertThat(registry.invalidApps().get("a")).endsWith("which belongs to app a-b");
    }

    @Test
    void anEnvironmentAddedToAnAppCannotTakeTheNamespaceOfAnotherApp() {
        app("shop", "staging");
        app("shop-eu", "prod");
        commitAndLoad(registry, "Onboard shop and shop-eu");

        app("shop", "staging", "eu-prod");
        commitAndLoad(registry, "Add environment eu-prod to shop");

        assertThat(registry.app("shop-eu")).isPresent();
        assertThat(registry.app("shop")).isEmpty();
        assertThat(registry.invalidApps().get("shop")).endsWith("which belongs to app shop-eu");
    }

    @Test
    void anAppWhoseEnvironmentWouldRunInAnotherAppsLivePreviewIsLeftOutAndStaysOutAfterARestart() {
        app("x", "staging");
        livePreview("x", "pr-5");
        commitAndLoad(registry, "Onboard x, with its preview of pull request #5");

        app("x-pr", "5");
        commitAndLoad(registry, "Onboard x-pr");

        String problem = "apps/x-pr/app.yaml: environment 5 would run in namespace x-pr-5, which belongs to preview"
                + " pr-5 of app x";
        assertThat(registry.app("x")).isPresent();
        assertThat(registry.app("x-pr")).isEmpty();
        assertThat(registry.invalidApps()).containsEntry("x-pr", problem);

        AppRegistry restarted = restart();
        restarted.refresh(repository::current);
        assertThat(restarted.app("x-pr")).isEmpty();
        assertThat(restarted.invalidApps()).containsEntry("x-pr", problem);
        assertThat(invalidGauge("x-pr")).isEqualTo(1.0);
    }

    @Test
    void anEnvironmentThatHadItsNamespaceBeforeAPreviewOfAnotherAppAppearedKeepsIt() {
        app("x-pr", "5");
        commitAndLoad(registry, "Onboard x-pr");

        // A folder made by hand, or by a relay of an older version: the environment was there first.
        app("x", "staging");
        livePreview("x", "pr-5");
        commitAndLoad(registry, "Onboard x, with a preview made by hand");

        assertThat(registry.app("x-pr")).isPresent();
        assertThat(registry.app("x")).isPresent();
    }

    @Test
    void aBrokenAppYamlDoesNotHandItsNamespacesToAnotherApp() {
        app("shop", "staging");
        app("shop-eu", "prod");
        commitAndLoad(registry, "Onboard shop and shop-eu");

        write("apps/shop-eu/app.yaml", "source: {repo: github.com/example/shop-eu}\n");
        app("shop", "staging", "eu-prod");
        commitAndLoad(registry, "Break shop-eu's app.yaml; add environment eu-prod to shop");
        assertThat(registry.app("shop")).isEmpty();
        assertThat(registry.invalidApps().get("shop")).endsWith("which belongs to app shop-eu");

        app("shop-eu", "prod");
        commitAndLoad(registry, "Fix shop-eu's app.yaml");
        assertThat(registry.app("shop-eu")).isPresent();
        assertThat(registry.app("shop")).isEmpty();
    }
}
