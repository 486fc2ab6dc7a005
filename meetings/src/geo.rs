//! Coordinates and great-circle distance.

use serde::{Deserialize, Serialize};

/// Mean Earth radius in kilometres (IUGG), used for great-circle distances.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A point on Earth in decimal degrees (WGS 84), such as a meeting's location or a location a person
/// shared from their phone.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coordinates {
    /// Latitude, -90 to 90.
    pub latitude: f64,
    /// Longitude, -180 to 180.
    pub longitude: f64,
}

impl Coordinates {
    /// Coordinates if both values are finite and in range, and not the `0, 0` placeholder that some
    /// feeds use for "unknown".
    pub fn new(latitude: f64, longitude: f64) -> Option<Self> {
        let valid = latitude.is_finite()
            && longitude.is_finite()
            && (-90.0..=90.0).contains(&latitude)
            && (-180.0..=180.0).contains(&longitude)
            && !(latitude == 0.0 && longitude == 0.0);
        valid.then_some(Self {
            latitude,
            longitude,
        })
    }

    /// Great-circle (haversine) distance to `other`, in kilometres.
    pub fn distance_km(&self, other: &Coordinates) -> f64 {
        let (lat1, lat2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.longitude - self.longitude).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }

    /// The mean of some points (fine for the small areas one feed covers), or `None` if there are none.
    pub fn centroid(points: impl IntoIterator<Item = Coordinates>) -> Option<Coordinates> {
        let (mut lat, mut lon, mut n) = (0.0, 0.0, 0usize);
        for p in points {
            lat += p.latitude;
            lon += p.longitude;
            n += 1;
        }
        (n > 0).then(|| Coordinates {
            latitude: lat / n as f64,
            longitude: lon / n as f64,
        })
    }
}

/// Distances from one point to many, with the work that depends only on that point done once. Compares
/// by the haversine term `a`, which grows with distance, and turns it into kilometres only when asked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DistanceFrom {
    latitude: f64,
    longitude: f64,
    cos_latitude: f64,
}

impl DistanceFrom {
    pub(crate) fn new(origin: Coordinates) -> Self {
        let latitude = origin.latitude.to_radians();
        DistanceFrom {
            latitude,
            longitude: origin.longitude.to_radians(),
            cos_latitude: latitude.cos(),
        }
    }

    /// A key that orders points by their distance from the origin.
    pub(crate) fn key(&self, to: &Coordinates) -> f64 {
        let latitude = to.latitude.to_radians();
        let dlat = latitude - self.latitude;
        let dlon = to.longitude.to_radians() - self.longitude;
        (dlat / 2.0).sin().powi(2) + self.cos_latitude * latitude.cos() * (dlon / 2.0).sin().powi(2)
    }

    /// The distance in kilometres for a key.
    pub(crate) fn km(key: f64) -> f64 {
        2.0 * EARTH_RADIUS_KM * key.sqrt().min(1.0).asin()
    }

    /// The key of a point `km` away.
    pub(crate) fn key_for_km(km: f64) -> f64 {
        (km / (2.0 * EARTH_RADIUS_KM))
            .min(std::f64::consts::FRAC_PI_2)
            .sin()
            .powi(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_and_null_island() {
        assert!(Coordinates::new(91.0, 0.0).is_none());
        assert!(Coordinates::new(0.0, 181.0).is_none());
        assert!(Coordinates::new(f64::NAN, 1.0).is_none());
        assert!(Coordinates::new(0.0, 0.0).is_none());
        assert!(Coordinates::new(33.68, -117.87).is_some());
    }

    #[test]
    fn known_distance_london_paris() {
        let london = Coordinates::new(51.5074, -0.1278).unwrap();
        let paris = Coordinates::new(48.8566, 2.3522).unwrap();
        let d = london.distance_km(&paris);
        assert!((d - 343.5).abs() < 2.0, "got {d}");
        assert!((paris.distance_km(&london) - d).abs() < 1e-9);
        assert!(london.distance_km(&london).abs() < 1e-9);
    }

    #[test]
    fn centroid_of_two_points_is_midway() {
        let a = Coordinates::new(10.0, 20.0).unwrap();
        let b = Coordinates::new(12.0, 22.0).unwrap();
        let c = Coordinates::centroid([a, b]).unwrap();
        assert!((c.latitude - 11.0).abs() < 1e-9 && (c.longitude - 21.0).abs() < 1e-9);
        assert!(Coordinates::centroid([]).is_none());
    }

    #[test]
    fn distance_keys_order_like_distances_and_convert_back() {
        let origin = Coordinates::new(33.66, -117.99).unwrap();
        let from = DistanceFrom::new(origin);
        let points = [
            (33.7, -117.9),
            (34.05, -118.24),
            (33.66, -117.99),
            (40.7, -74.0),
            (-33.9, 151.2),
        ];
        let mut last = -1.0;
        let mut by_key: Vec<Coordinates> = points
            .iter()
            .map(|&(lat, lon)| Coordinates::new(lat, lon).unwrap())
            .collect();
        by_key.sort_by(|a, b| from.key(a).total_cmp(&from.key(b)));
        for p in by_key {
            let km = DistanceFrom::km(from.key(&p));
            assert!((km - origin.distance_km(&p)).abs() < 1e-6, "{km}");
            assert!(km >= last);
            last = km;
            assert!((DistanceFrom::km(DistanceFrom::key_for_km(km)) - km).abs() < 1e-6);
        }
    }
}
