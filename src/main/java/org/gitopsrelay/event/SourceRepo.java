package org.gitopsrelay.event;

import java.net.URI;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A source repository as {@code host/owner/name}, lower case: the one key under which webhooks and app.yaml
 * registrations meet, whatever URL form each of them used.
 */
public record SourceRepo(String host, String path) {

    private static final Pattern HOST = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?");
    private static final Pattern PATH = Pattern.compile("[a-z0-9_.-]+(/[a-z0-9_.-]+){1,9}");

    public SourceRepo {
        if (host == null || !HOST.matcher(host).matches()) {
            throw new IllegalArgumentException("not a repository host: " + host);
        }
        if (path == null || !PATH.matcher(path).matches() || path.contains("..")) {
            throw new IllegalArgumentException("not a repository path: " + path);
        }
    }

    /**
     * Parses {@code https://host/owner/name(.git)}, {@code git@host:owner/name.git}, {@code ssh://...} or the plain
     * {@code host/owner/name} form of app.yaml.
     */
    public static SourceRepo parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty repository");
        }
        String s = text.trim().toLowerCase(Locale.ROOT);
        String host;
        String path;
        if (s.contains("://")) {
            URI uri = URI.create(s);
            host = uri.getHost() == null ? "" : uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
            path = uri.getPath() == null ? "" : uri.getPath();
        } else if (s.matches("[^/@]+@[^:/]+:.+")) {
            // The host ends at the first ':' after the '@': the user part may hold one too (found by fuzzing).
            int at = s.indexOf('@');
            int colon = s.indexOf(':', at);
            host = s.substring(at + 1, colon);
            path = s.substring(colon + 1);
        } else {
            int slash = s.indexOf('/');
            if (slash < 0) {
                throw new IllegalArgumentException("not a repository: " + text);
            }
            host = s.substring(0, slash);
            path = s.substring(slash + 1);
        }
        path = path.replaceAll("^/+", "").replaceAll("/+$", "");
        if (path.endsWith(".git")) {
            path = path.substring(0, path.length() - 4);
        }
        return new SourceRepo(host, path);
    }

    public String key() {
        return host + "/" + path;
    }

    @Override
    public String toString() {
        return key();
    }
}
