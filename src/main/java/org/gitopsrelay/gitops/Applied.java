package org.gitopsrelay.gitops;

/** What {@link GitOpsRepository#apply} did: the planner's last decision, and the commit that carried it out. */
public record Applied<D>(D decision, CommitOutcome outcome) {
}
