package org.gitopsrelay.preview;

import java.time.Instant;

/**
 * What a git event asks of a preview: show {@code headCommit} of {@code branch} under {@code slug}.
 * {@code activityAt} orders requests (a pull request's {@code updated_at}, a push's time); null when unknown.
 * {@code untrusted} marks code from a fork; {@code reopening} a pull request reopened.
 */
public record PreviewRequest(String slug, String kind, Integer pullRequest, String branch, String author,
        String headCommit, Instant activityAt, boolean untrusted, boolean reopening) {
}
