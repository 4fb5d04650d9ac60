// Not fingerprinted: a short public max-age.
window.siteAnalytics = { pageViews: 0 };
