package org.gitopsrelay.gitops;

import java.util.Optional;

/** What a planner decided, and the commit that carries it out; none when the repository already holds it. */
public record Plan<D>(D decision, Optional<PlannedCommit> commit) {

    public Plan {
        if (commit == null) {
            throw new IllegalArgumentException("commit is Optional.empty() when there is none");
        }
    }

    public static <D> Plan<D> nothing(D decision) {
        return new Plan<>(decision, Optional.empty());
    }

    public static <D> Plan<D> commit(D decision, PlannedCommit commit) {
        return new Plan<>(decision, Optional.of(commit));
    }

    /** A change with nothing to decide but its commit (seeding, tests). */
    public static Plan<Boolean> just(Optional<PlannedCommit> commit) {
        return new Plan<>(commit.isPresent(), commit);
    }
}
