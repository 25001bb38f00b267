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
}
