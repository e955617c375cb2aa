"""The small JSON API that shop front ends (mini program, H5) call. Every endpoint sets the
tenant from the shop it serves (app.tenancy.tenant_scope) before any query; it is
token-authenticated and the only blueprint exempt from CSRF. Modules add endpoints here."""
