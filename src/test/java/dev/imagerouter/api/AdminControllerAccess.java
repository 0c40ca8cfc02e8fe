package dev.imagerouter.api;

import java.util.Map;

/** Test access to the admin view's secret masking. */
public final class AdminControllerAccess {

    private AdminControllerAccess() {
    }

    public static Map<String, Object> mask(Map<String, Object> tree) {
        return AdminController.mask(tree);
    }
}
