package org.gitopsrelay.gitops;

/**
 * What became of one change of a batch given to {@link GitOpsRepository#applyAll}: applied (committed, or found
 * already there), or refused by its planner; one change's refusal never holds back the others.
 */
public sealed interface ChangeResult<D> {

    /** The planner decided, and its commit, if it needed one, was pushed with the rest of the batch. */
    record Done<D>(Applied<D> applied) implements ChangeResult<D> {
    }

    /** The planner threw: nothing of this change was committed. */
    record Refused<D>(org.gitopsrelay.shared.RelayException error) implements ChangeResult<D> {
    }
}
