// The sample site's script: a small asset of its own, fetched after the HTML.
document.documentElement.dataset.sitio = "listo";
