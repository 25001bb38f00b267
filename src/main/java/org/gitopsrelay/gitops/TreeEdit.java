package org.gitopsrelay.gitops;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The files one change writes and the folders or files it removes, by path in the GitOps repository. Paths are
 * built by the service from validated names, never taken from a webhook as they are; they are checked again here.
 */
public final class TreeEdit {

    private final Map<String, byte[]> writes = new LinkedHashMap<>();
    private final Set<String> removals = new LinkedHashSet<>();

    /**
     * Writes a file (replacing a file or folder there, and any file where the path needs a folder). One edit
     * cannot write a path both as a file and as a folder ({@code a} and {@code a/b}): which would win is undefined.
     */
    public TreeEdit write(String path, String content) {
        checked(path);
        for (String written : writes.keySet()) {
            if (written.startsWith(path + "/") || path.startsWith(written + "/")) {
                throw new IllegalArgumentException("written both as a file and as a folder: " + path + ", " + written);
            }
        }
        writes.put(path, content.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Removes a file, or a whole folder with everything below it. */
    public TreeEdit remove(String path) {
        removals.add(checked(path));
        return this;
    }

    public Map<String, byte[]> writes() {
        return writes;
    }

    public Set<String> removals() {
        return removals;
    }

    static String checked(String path) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("\\")
                || path.contains("//") || path.contains("\0")) {
            throw new IllegalArgumentException("not a repository path: " + path);
        }
        for (String segment : path.split("/")) {
            if (segment.equals(".") || segment.equals("..") || segment.equals(".git")) {
                throw new IllegalArgumentException("not a repository path: " + path);
            }
        }
        return path;
    }
}
