"""Geography (网格一张图): areas as places, points, and where → which grid.

Stored datum: **GCJ-02** lon/lat everywhere (``datum`` explains why and
converts WGS84 at the edges).  Modules, import arrows pointing down:

* ``datum``      WGS84 ↔ GCJ-02;
* ``shapes``     GeoJSON text ↔ shapely, ``Area`` geometry columns, the local km plane;
* ``land``       reference outlines, township seats and township land (``rxapp/data``);
* ``tessellate`` communities and grids cut from a township's land (the seed);
* ``store``      geometry onto ``Area`` rows and household points (ORM);
* ``cache``      per-process caches invalidated by the areas' mark;
* ``address``    the address index (road, community, township, district names);
* ``resolve``    the one resolver: point / address / both → grid;
* ``features``   GeoJSON for the map (areas one level below a scope, district outlines);
* ``measures``   per-area measures and case points for the map;
* ``importer``   ``python -m rxapp.areas import FILE``: real grid boundaries.
"""
