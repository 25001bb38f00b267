package org.gitopsrelay.state;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.EnvironmentSpec;
import org.gitopsrelay.gitops.FileChange;
import org.gitopsrelay.gitops.KustomizationFile;
import org.gitopsrelay.gitops.Snapshot;

/** Reads what each environment of an app runs, and its recent history, from a snapshot of the GitOps branch. */
public final class EnvironmentStates {

    private EnvironmentStates() {
    }

    /**
     * Every environment of {@code app}, in app.yaml's order, with at most {@code historyLimit} deployments found in
     * the last {@code depth} commits of the branch.
     */
    public static List<EnvironmentState> of(Snapshot snapshot, AppSpec app, int historyLimit, int depth) {
        List<EnvironmentState> states = new ArrayList<>();
        for (EnvironmentSpec env : app.environments()) {
            states.add(of(snapshot, app, env, historyLimit, depth));
        }
        return states;
    }

    static EnvironmentState of(Snapshot snapshot, AppSpec app, EnvironmentSpec env, int historyLimit, int depth) {
        String path = env.overlayDir(app.name()) + "/kustomization.yaml";
        Optional<KustomizationFile> overlay = snapshot.read(path).flatMap(KustomizationFile::tryParse);
        List<EnvironmentState.Deployment> history = new ArrayList<>();
        for (FileChange change : snapshot.changesOf(path, historyLimit, depth)) {
            Optional<KustomizationFile> then = change.content().flatMap(KustomizationFile::tryParse);
            history.add(new EnvironmentState.Deployment(change.commit(), change.at(),
                    then.flatMap(file -> file.imageTag(app.imageName())).orElse(null),
                    then.flatMap(file -> file.annotation("source-commit")).orElse(null), change.subject(),
                    change.eventIds(), !change.eventIds().isEmpty()));
        }
        Optional<String> tag = overlay.flatMap(file -> file.imageTag(app.imageName()));
        EnvironmentState.Deployment last = history.isEmpty() ? null : history.get(0);
        return new EnvironmentState(env.name(), env.feed().name().toLowerCase(Locale.ROOT), env.pattern().glob(),
                env.namespace(), env.frozen(), tag.map(value -> app.image() + ":" + value).orElse(null), tag.orElse(null),
                annotation(overlay, "source-commit"), annotation(overlay, "source-ref"),
                instant(annotation(overlay, "source-time")),
                last == null ? null : last.gitopsCommit(), last == null ? null : last.at(),
                annotation(overlay, "event"), history);
    }

    private static String annotation(Optional<KustomizationFile> overlay, String key) {
        return overlay.flatMap(file -> file.annotation(key)).orElse(null);
    }

    private static Instant instant(String text) {
        try {
            return text == null ? null : Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
