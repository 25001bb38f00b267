package org.gitopsrelay.deploy;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.EnvironmentSpec;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.EnvironmentAction;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.gitops.Applied;
import org.gitopsrelay.gitops.ChangePlanner;
import org.gitopsrelay.gitops.CommitOutcome;
import org.gitopsrelay.gitops.CommitText;
import org.gitopsrelay.gitops.FileChange;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.KustomizationFile;
import org.gitopsrelay.gitops.Plan;
import org.gitopsrelay.gitops.PlannedCommit;
import org.gitopsrelay.gitops.Snapshot;
import org.gitopsrelay.gitops.TreeEdit;
import org.gitopsrelay.render.OverlayCheck;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Promotions and rollbacks asked for through the API: each sets one environment's image in its overlay to one that
 * is already known (the one another environment runs, or one the environment ran before), checks that the overlay
 * still renders, and commits it naming who asked. Idempotent like a deployment: an action whose change is there
 * commits nothing again, and one redelivered after its commit publishes its outcome again under the same id.
 */
@ApplicationScoped
public class EnvironmentActions {

    private static final Logger LOG = Logger.getLogger(EnvironmentActions.class);
    /** The pod-template annotation a restart sets. */
    static final String RESTARTED_AT = "gitops-relay.io/restarted-at";
    /** How many of an environment's past deployments a rollback may go back to. */
    static final int ROLLBACK_REACH = 50;

    /** What planning decided. */
    enum Decision {
        APPLY,
        /** The environment already runs that image. */
        UNCHANGED,
        /** This action's commit is the overlay's latest: a redelivery, published again. */
        ALREADY_APPLIED,
        /** This action was committed before and something newer has replaced it since. */
        SUPERSEDED
    }

    /** What planning decided, with what the overlay names once it is applied (or already was). */
    record Planned(Decision decision, String tag, String fromTag, String sourceCommit, String sourceRef) {

        static Planned as(Decision decision, KustomizationFile overlay, String imageName) {
            return new Planned(decision, overlay.imageTag(imageName).orElse(null),
                    overlay.annotation("rolled-back-from").orElse(null), overlay.annotation("source-commit").orElse(null),
                    overlay.annotation("source-ref").orElse(null));
        }
    }

    private final GitOpsRepository repository;
    private final OverlayCheck overlayCheck;
    private final RelayConfig config;

    @Inject
    public EnvironmentActions(GitOpsRepository repository, OverlayCheck overlayCheck, RelayConfig config) {
        this.repository = repository;
        this.overlayCheck = overlayCheck;
        this.config = config;
    }

    /**
     * Applies the action; returns what became of it, with the event to publish. A retryable failure (the remote
     * away) is thrown, and the action is tried again.
     */
    public Result handle(RelayEvent trigger, AppSpec app, EnvironmentAction action) {
        EnvironmentSpec env = app.environment(action.target()).orElse(null);
        Applied<Planned> applied;
        try {
            if (env == null) {
                throw new RelayException(Reason.INVALID_CHANGE, "App " + app.name() + " has no environment "
                        + action.target());
            }
            applied = repository.apply(ChangePlanner.within(app.folder(),
                    snapshot -> plan(snapshot, trigger, app, env, action)));
        } catch (RelayException e) {
            if (e.reason().retryable()) {
                throw e;
            }
            LOG.errorf("%s of %s by %s refused, nothing committed (event %s): %s", trigger.type(), app.name(),
                    action.requestedBy(), trigger.id(), e.getMessage());
            var data = new OutcomeEvent.DeploymentFailed(app.name(), action.target(), null, app.source().key(), null,
                    null, null, action.requestedBy(), trigger.id(), trigger.time(), e.reason().tag(), e.getMessage());
            return new Result.Refused(e, event(trigger, action.target(), data));
        }
        Planned planned = applied.decision();
        if (planned.decision() == Decision.UNCHANGED || planned.decision() == Decision.SUPERSEDED) {
            LOG.infof("%s of %s/%s by %s: nothing to commit (%s, event %s)", trigger.type(), app.name(), env.name(),
                    action.requestedBy(), planned.decision(), trigger.id());
            return new Result.Done(Optional.empty());
        }
        CommitOutcome outcome = applied.outcome();
        String commit = planned.decision() == Decision.ALREADY_APPLIED
                ? repository.commitOfEvent(trigger.id()).orElse(outcome.commit()) : outcome.commit();
        String image = app.image() + ":" + planned.tag();
        LOG.infof("%s of %s/%s by %s: %s, GitOps commit %s (event %s)", trigger.type(), app.name(), env.name(),
                action.requestedBy(), image, commit, trigger.id());
        OutcomeEvent data;
        if (action instanceof EnvironmentAction.Restart restart) {
            data = new OutcomeEvent.DeploymentRestarted(app.name(), env.name(), image, restart.at(),
                    action.requestedBy(), commit, trigger.id());
        } else if (action instanceof EnvironmentAction.Rollback) {
            data = new OutcomeEvent.DeploymentRolledBack(app.name(), env.name(), image,
                    planned.fromTag() == null ? null : app.image() + ":" + planned.fromTag(), planned.sourceCommit(),
                    action.requestedBy(), commit, trigger.id());
        } else {
            data = new OutcomeEvent.DeploymentCommitted(app.name(), env.name(), image, app.source().key(),
                    planned.sourceRef(), planned.sourceCommit(), null, action.requestedBy(), commit, trigger.id(),
                    trigger.time(), null);
        }
        return new Result.Done(Optional.of(event(trigger, env.name(), data)));
    }

    /** What became of an action: the event to publish about it, and whether it was refused for good. */
    public sealed interface Result {

        /** Done: the outcome to publish when it changed (or had changed) anything; empty when nothing was to do. */
        record Done(Optional<RelayEvent> event) implements Result {
        }

        /** Refused for good: the failure event to publish before the action is dead-lettered. */
        record Refused(RelayException error, RelayEvent event) implements Result {
        }
    }

    /** What the action needs on this snapshot: a pure function of it. */
    Plan<Planned> plan(Snapshot snapshot, RelayEvent trigger, AppSpec app, EnvironmentSpec env,
            EnvironmentAction action) {
        String path = env.overlayDir(app.name()) + "/kustomization.yaml";
        KustomizationFile overlay = overlay(snapshot, path);
        if (trigger.id().equals(overlay.annotation("event").orElse(null))) {
            return Plan.nothing(Planned.as(Decision.ALREADY_APPLIED, overlay, app.imageName()));
        }
        if (snapshot.committed(trigger.id(), path, config.gitops().trailerSearchDepth())) {
            return Plan.nothing(Planned.as(Decision.SUPERSEDED, overlay, app.imageName()));
        }
        String current = overlay.imageTag(app.imageName()).orElse(null);
        if (env.frozen() && !action.override()) {
            throw new RelayException(Reason.INVALID_CHANGE, app.name() + " " + env.name() + " is frozen (app.yaml):"
                    + " ask with override to act on it anyway");
        }
        if (action instanceof EnvironmentAction.Restart restart) {
            return restart(snapshot, trigger, app, env, path, overlay, restart);
        }
        if (!java.util.Objects.equals(action.basis(), current)) {
            throw new RelayException(Reason.INVALID_CHANGE, app.name() + " " + env.name() + " has changed since the"
                    + " request: it ran " + (action.basis() == null ? "no image" : action.basis()) + " then, "
                    + (current == null ? "no image" : current) + " now; ask again if it is still wanted");
        }
        KustomizationFile source;
        String why;
        if (action instanceof EnvironmentAction.Promote promote) {
            EnvironmentSpec from = app.environment(promote.from()).orElseThrow(() -> new RelayException(
                    Reason.INVALID_CHANGE, "App " + app.name() + " has no environment " + promote.from()));
            source = overlay(snapshot, from.overlayDir(app.name()) + "/kustomization.yaml");
            if (source.imageTag(app.imageName()).isEmpty()) {
                throw new RelayException(Reason.INVALID_CHANGE, app.name() + " " + from.name()
                        + " runs no image of its own yet: nothing to promote");
            }
            why = "Promote " + app.name() + " " + from.name() + " → " + env.name();
        } else {
            EnvironmentAction.Rollback rollback = (EnvironmentAction.Rollback) action;
            source = previous(snapshot, app, path, current, rollback.tag());
            why = "Roll back " + app.name() + " " + env.name();
        }
        String tag = source.imageTag(app.imageName()).orElseThrow();
        if (tag.equals(current)) {
            return Plan.nothing(Planned.as(Decision.UNCHANGED, overlay, app.imageName()));
        }
        overlay.namespace(env.namespace()).image(app.imageName(), app.image(), tag);
        for (String annotation : List.of("source-commit", "source-ref", "source-time")) {
            overlay.annotation(annotation, source.annotation(annotation).orElse(null));
        }
        overlay.annotation("event", trigger.id())
                .annotation("promoted-from", action instanceof EnvironmentAction.Promote promote ? promote.from()
                        : null)
                .annotation("rolled-back-from", action instanceof EnvironmentAction.Rollback ? current : null)
                .annotation("requested-by", action.requestedBy());
        String edited = overlay.toYaml();
        TreeEdit edit = new TreeEdit().write(path, edited);
        overlayCheck.check(snapshot, app.folder(), edit, env.overlayDir(app.name()),
                DeployPushToEnvironment.standIns(snapshot, app, path, edited), tag);
        String message = why + ": " + app.image() + ":" + CommitText.oneLine(tag)
                + (current == null ? "" : " (was " + CommitText.oneLine(current) + ")") + "\n\n"
                + "Requested by: " + CommitText.oneLine(action.requestedBy())
                + (env.frozen() ? "\nOverride: " + env.name() + " is frozen" : "")
                + source.annotation("source-commit").map(commit -> "\nSource: " + app.source() + "@" + commit
                        + source.annotation("source-ref").map(ref -> " (" + ref + ")").orElse("")).orElse("");
        return Plan.commit(Planned.as(Decision.APPLY, overlay, app.imageName()),
                new PlannedCommit(edit, message, List.of(trigger.id())));
    }

    /**
     * Sets the restart annotation on the pod template of every Deployment of the overlay, through one patch of the
     * relay's own (found again by the annotation it sets): a new value rolls the pods, as {@code kubectl rollout
     * restart} does, but through Git.
     */
    private Plan<Planned> restart(Snapshot snapshot, RelayEvent trigger, AppSpec app, EnvironmentSpec env,
            String path, KustomizationFile overlay, EnvironmentAction.Restart restart) {
        String at = restart.at().toString();
        String patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\nspec:\n  template:\n"
                + "    metadata:\n      annotations:\n        " + RESTARTED_AT + ": \"" + at + "\"\n";
        ArrayNode patches = overlay.tree().withArray("patches");
        ObjectNode own = null;
        for (JsonNode entry : patches) {
            if (entry instanceof ObjectNode object
                    && object.path("patch").asText("").contains(RESTARTED_AT)) {
                own = object;
            }
        }
        if (own == null) {
            own = patches.addObject();
        }
        own.removeAll();
        own.putObject("target").put("kind", "Deployment");
        own.put("patch", patch);
        overlay.annotation("event", trigger.id()).annotation("requested-by", restart.requestedBy());
        String edited = overlay.toYaml();
        TreeEdit edit = new TreeEdit().write(path, edited);
        String tag = overlay.imageTag(app.imageName()).orElse("");
        overlayCheck.check(snapshot, app.folder(), edit, env.overlayDir(app.name()),
                DeployPushToEnvironment.standIns(snapshot, app, path, edited), tag);
        String message = "Restart " + app.name() + " " + env.name() + " (" + app.image() + ":" + tag + ")\n\n"
                + "Requested by: " + CommitText.oneLine(restart.requestedBy()) + "\nRestarted at: " + at
                + (env.frozen() ? "\nOverride: " + env.name() + " is frozen" : "");
        return Plan.commit(Planned.as(Decision.APPLY, overlay, app.imageName()),
                new PlannedCommit(edit, message, List.of(trigger.id())));
    }

    /**
     * The overlay as it was when the environment last ran another image than {@code current}: {@code tag} when given
     * (it must be one the environment ran), else the newest before the current one.
     */
    private KustomizationFile previous(Snapshot snapshot, AppSpec app, String path, String current, String tag) {
        List<FileChange> history = snapshot.changesOf(path, ROLLBACK_REACH, config.gitops().trailerSearchDepth());
        for (FileChange change : history) {
            Optional<KustomizationFile> then = change.content().flatMap(KustomizationFile::tryParse);
            Optional<String> ran = then.flatMap(file -> file.imageTag(app.imageName()));
            if (ran.isEmpty() || ran.get().equals(current)) {
                continue;
            }
            if (tag == null || tag.equals(ran.get())) {
                return then.get();
            }
        }
        throw new RelayException(Reason.INVALID_CHANGE, tag == null
                ? "Nothing to roll back to: " + path + " names no other image in its last " + ROLLBACK_REACH
                        + " changes"
                : "Cannot roll back to " + tag + ": it is not among the images " + path + " named in its last "
                        + ROLLBACK_REACH + " changes");
    }

    private static KustomizationFile overlay(Snapshot snapshot, String path) {
        String text = snapshot.read(path).orElseThrow(() -> new RelayException(Reason.INVALID_CHANGE,
                "The overlay " + path + " does not exist"));
        return KustomizationFile.tryParse(text).orElseThrow(() -> new RelayException(Reason.INVALID_CHANGE, path + " cannot be read"));
    }


    private static RelayEvent event(RelayEvent trigger, String environment, OutcomeEvent data) {
        return RelayEvent.of(EventCodec.stableId(trigger.id(), environment, data.type()), "/handlers/actions",
                Instant.now(), data);
    }
}
