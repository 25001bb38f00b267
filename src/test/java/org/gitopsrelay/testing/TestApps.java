package org.gitopsrelay.testing;

import static org.gitopsrelay.testing.GitCli.git;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import org.gitopsrelay.app.Onboarding;
import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.gitops.TreeEdit;

/** Apps a test onboards for itself, by pushing to the local GitOps repository as a user would. */
public final class TestApps {

    private TestApps() {
    }

    /** A clone of the test application's GitOps repository, in its data dir. */
    public static Path freshClone(Path dataDir) {
        Path clone = dataDir.resolve("clone-" + UUID.randomUUID());
        git(dataDir, "clone", "-q", dataDir.resolve("gitops.git").toUri().toString(), clone.toString());
        return clone;
    }

    /** Commits {@code apps/<name>/} with the demo app's base and components and this app.yaml, then reloads. */
    public static Path onboard(Path dataDir, RegistrySync registrySync, String name, String appYaml) throws Exception {
        Path clone = freshClone(dataDir);
        Path app = Files.createDirectories(clone.resolve("apps/" + name));
        copy(clone.resolve("apps/demo/base"), app.resolve("base"));
        copy(clone.resolve("apps/demo/components"), app.resolve("components"));
        Files.writeString(app.resolve("app.yaml"), appYaml);
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Onboard " + name);
        push(clone);
        registrySync.refresh();
        return clone;
    }

    /**
     * Onboards an app of the test's own, laid out and registered as the demo app is (staging from main, production
     * from v* tags, previews of pull requests) but built from {@code github.com/example/<name>}: a test that deploys
     * it depends on no other test's pushes. Returns the name, {@code prefix} and a random suffix.
     */
    public static String onboardLikeDemo(Path dataDir, RegistrySync registrySync, String prefix) throws Exception {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
        Path clone = freshClone(dataDir);
        pushApp(clone, name, Onboarding.demoAppYaml().replace("demo", name));
        registrySync.refresh();
        return name;
    }

    /** A webhook body of the fixtures, for the app of {@link #onboardLikeDemo} instead of the demo app. */
    public static String forApp(String app, String body) {
        return body.replace("example/demo", "example/" + app);
    }

    /**
     * Commits {@code apps/<name>/} as {@link Onboarding} lays it out (app.yaml, base, components, one overlay per
     * environment) and pushes it, without telling the relay: it learns of the app by itself.
     */
    public static void pushApp(Path clone, String name, String appYaml) throws Exception {
        commit(clone, Onboarding.app(name, appYaml), "Onboard " + name);
        push(clone);
    }

    /** Writes the edit's files into the clone and commits them. */
    public static void commit(Path clone, TreeEdit edit, String message) throws Exception {
        for (var write : edit.writes().entrySet()) {
            Path file = clone.resolve(write.getKey());
            Files.createDirectories(file.getParent());
            Files.write(file, write.getValue());
        }
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", message);
    }

    /** Pushes the clone's commits, rebased on what the relay committed meanwhile (a test's pushes race with it). */
    public static void push(Path clone) {
        for (int attempt = 1;; attempt++) {
            try {
                git(clone, "push", "-q", "origin", "HEAD:main");
                return;
            } catch (IllegalStateException e) {
                if (attempt >= 5) {
                    throw e;
                }
                git(clone, "pull", "-q", "--rebase", "origin", "main");
            }
        }
    }

    /** Copies a folder and everything in it. */
    public static void copy(Path from, Path to) throws java.io.IOException {
        try (var files = Files.walk(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }
}
