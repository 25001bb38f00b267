package org.gitopsrelay.event;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A live preview as its overlay describes it: the data of the {@code relay.preview.*} events and of
 * {@code GET /api/previews}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Preview(String app, String slug, String kind, Integer pullRequest, String branch, String author,
        String headCommit, String image, String namespace, String url, Instant createdAt, Instant updatedAt,
        Instant expiresAt) {

    public static final String PULL_REQUEST = "pull-request";
    public static final String BRANCH = "branch";

    public String folder() {
        return folderOf(app, slug);
    }

    public static String folderOf(String app, String slug) {
        return "apps/" + app + "/previews/" + slug;
    }
}
