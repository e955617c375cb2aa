"""The only code that talks to WeChat (official account, mini program, WeChat Pay):
per-merchant wechatpy clients, fen <-> yuan conversion and error mapping. Issue #3 fills it;
views and services never import wechatpy directly."""
