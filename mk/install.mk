# install, uninstall: see issue 7
