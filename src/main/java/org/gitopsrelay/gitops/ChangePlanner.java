package org.gitopsrelay.gitops;

/**
 * Decides, from the repository as it is now, what a change needs: its decision {@code D} and the commit that carries
 * it out, if any. Called again on every attempt, so that a change re-applies cleanly on top of whatever another
 * writer pushed meanwhile; a planner is a function of the snapshot, with no side channel, so each decision can be
 * tested on a snapshot alone.
 */
@FunctionalInterface
public interface ChangePlanner<D> {
    Plan<D> plan(Snapshot snapshot);

    /**
     * The folder (a path ending in {@code /}) this planner reads, when it reads nothing outside it but the relay's
     * own history (the events its commits name): a plan made before a person's commits that changed nothing in that
     * folder still holds on top of them, and is committed again without planning (and rendering) again; commits of
     * the relay's own always mean planning again. Empty: any change may change the plan.
     */
    default java.util.Optional<String> readsOnly() {
        return java.util.Optional.empty();
    }

    /** A planner that reads nothing outside {@code folder}. */
    static <D> ChangePlanner<D> within(String folder, ChangePlanner<D> planner) {
        String prefix = folder.endsWith("/") ? folder : folder + "/";
        return new ChangePlanner<>() {
            @Override
            public Plan<D> plan(Snapshot snapshot) {
                return planner.plan(snapshot);
            }

            @Override
            public java.util.Optional<String> readsOnly() {
                return java.util.Optional.of(prefix);
            }
        };
    }
}
