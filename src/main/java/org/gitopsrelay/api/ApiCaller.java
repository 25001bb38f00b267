package org.gitopsrelay.api;

import org.gitopsrelay.config.ApiRole;

/** Who called the API, by the name of their token, and what their token may do. */
public record ApiCaller(String name, ApiRole role) {
}
