package org.gitopsrelay.gitops;

import java.util.Optional;

/**
 * Decides the commit a change needs, from the repository as it is now. Called again on every attempt, so that a
 * change re-applies cleanly on top of whatever another writer pushed meanwhile. Empty means the repository already
 * holds the desired state.
 */
@FunctionalInterface
public interface ChangePlanner {
    Optional<PlannedCommit> plan(Snapshot snapshot);
}
