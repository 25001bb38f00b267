package org.gitopsrelay.api;

import org.gitopsrelay.config.ApiRole;

/** The role an {@code /api} call needs, by method and path: reading needs read, acting deploy, operating admin. */
final class ApiAccess {

    private ApiAccess() {
    }

    static ApiRole required(String method, String path) {
        // Dead letters hold whole events (commit messages, authors): operators' business, as is their replay.
        if (path.equals("/api/dead-letters") || path.startsWith("/api/dead-letters/")) {
            return ApiRole.ADMIN;
        }
        if (method.equals("GET") || method.equals("HEAD")) {
            return ApiRole.READ;
        }
        return ApiRole.DEPLOY;
    }
}
