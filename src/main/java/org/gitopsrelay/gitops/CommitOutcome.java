package org.gitopsrelay.gitops;

/**
 * What {@link GitOpsRepository#apply} did: the commit now at the branch tip (a new one when {@code changed}), how
 * many attempts it took, and how long each step took over all attempts.
 */
public record CommitOutcome(String commit, boolean changed, int attempts, long fetchMillis, long planMillis,
        long commitMillis, long pushMillis) {
}
