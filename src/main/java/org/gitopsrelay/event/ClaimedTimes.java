package org.gitopsrelay.event;

import java.time.Duration;
import java.time.Instant;

/**
 * The times a git change claims (push time, pull request update, commit time) come from the sender: a commit's date
 * is whatever its author wrote, and a record on the bus may have been written by anyone who can write there. They
 * order changes, so a time in the future would make every later real change look older. A time further ahead of
 * the moment the relay received the change than the allowed clock skew is wrong, and taken as that moment: a later
 * real change, received later, then orders after it.
 */
public final class ClaimedTimes {

    private ClaimedTimes() {
    }

    /**
     * The change with every time later than {@code received} plus {@code skew} replaced by {@code received}; the same
     * object if none is.
     */
    public static GitChange clamp(GitChange change, Instant received, Duration skew) {
        Instant limit = received.plus(skew);
        if (change instanceof GitChange.Push push) {
            Instant pushedAt = atMost(push.pushedAt(), limit, received);
            Instant committedAt = atMost(push.committedAt(), limit, received);
            if (pushedAt == push.pushedAt() && committedAt == push.committedAt()) {
                return change;
            }
            return new GitChange.Push(push.repo(), push.refKind(), push.refName(), push.before(), push.after(),
                    push.headCommit(), push.commitCount(), push.pusher(), pushedAt, committedAt, push.created(),
                    push.deleted(), push.forced());
        }
        if (change instanceof GitChange.PullRequest pr) {
            Instant updatedAt = atMost(pr.updatedAt(), limit, received);
            if (updatedAt == pr.updatedAt()) {
                return change;
            }
            return new GitChange.PullRequest(pr.repo(), pr.action(), pr.number(), pr.title(), pr.author(),
                    pr.headBranch(), pr.headCommit(), pr.baseBranch(), pr.fromFork(), pr.merged(), pr.url(), updatedAt);
        }
        return change;
    }

    /**
     * The latest time a stored or claimed time may have to be believed now: a later one (written before times were
     * clamped, or by hand) cannot order anything.
     */
    public static Instant latestTrusted(Instant now, Duration skew) {
        return now.plus(skew);
    }

    private static Instant atMost(Instant claimed, Instant limit, Instant replacement) {
        return claimed != null && claimed.isAfter(limit) ? replacement : claimed;
    }
}
